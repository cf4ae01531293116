"""The REST API: a JWT authorizer on every method, explicit routes, access logs, X-Ray, WAF."""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.components.nag import acknowledge
from infra.routes import APPLICATION_ROUTES, PROFILE_ROUTES, SUPPORT_ROUTES  # every route explicit (no {proxy+})
from shared.core.messages import problem_body

STAGE = "v1"
MAX_BODY_BYTES = 64 * 1024  # the same limit as shared.api.http.MAX_BODY_BYTES


def _problem(status: int, code: str, title: str, detail: str) -> str:
    return json.dumps(problem_body(status, code, title, detail), ensure_ascii=False)


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        authorizer_function: lambda_.IFunction,
        applications_function: lambda_.IFunction,
        profile_function: lambda_.IFunction,
        support_function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.RETAIN
        )
        authorizer = apigw.TokenAuthorizer(
            self,
            "JwtAuthorizer",
            handler=authorizer_function,
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.minutes(5),
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            description="Tax cabinet onboarding API",
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies carry personal data
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                throttling_rate_limit=200,
                throttling_burst_limit=400,
            ),
            default_method_options=apigw.MethodOptions(
                authorizer=authorizer, authorization_type=apigw.AuthorizationType.CUSTOM
            ),
            endpoint_types=[apigw.EndpointType.REGIONAL],
        )
        validator = self.rest_api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        for function, routes in (
            (applications_function, APPLICATION_ROUTES),
            (profile_function, PROFILE_ROUTES),
            (support_function, SUPPORT_ROUTES),
        ):
            integration = apigw.LambdaIntegration(function)
            for path, method in routes:
                resource = self.rest_api.root.resource_for_path(path)
                resource.add_method(method, integration, request_validator=validator)
        for response_type, status, code, title, detail in (
            (
                apigw.ResponseType.UNAUTHORIZED,
                401,
                "unauthorized",
                "Требуется вход",
                "Войдите через Госуслуги и повторите запрос.",
            ),
            (
                apigw.ResponseType.ACCESS_DENIED,
                403,
                "forbidden",
                "Доступ запрещён",
                "У этой учётной записи нет доступа к запрошенному действию.",
            ),
            # Without these, API Gateway's own answers would fall to DEFAULT_4XX/5XX, whose body
            # cannot know the status: an unknown route would say 400 in a 403 response.
            (
                apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,  # what API Gateway says for no such route
                404,
                "not_found",
                "Не найдено",
                "Такого адреса в API нет.",
            ),
            (
                apigw.ResponseType.THROTTLED,
                429,
                "too_many_requests",
                "Слишком много запросов",
                "Повторите запрос немного позже.",
            ),
            (
                apigw.ResponseType.WAF_FILTERED,
                403,
                "request_blocked",
                "Запрос отклонён",
                "Запрос отклонён защитой сервиса. Повторите позже или обратитесь в поддержку.",
            ),
            (
                apigw.ResponseType.REQUEST_TOO_LARGE,
                413,
                "payload_too_large",
                "Слишком большой запрос",
                "Уменьшите размер запроса.",
            ),
            (
                apigw.ResponseType.AUTHORIZER_FAILURE,
                500,
                "auth_unavailable",
                "Проверка входа недоступна",
                "Не удалось проверить вход. Повторите запрос позже.",
            ),
            (
                apigw.ResponseType.INTEGRATION_TIMEOUT,
                504,
                "timeout",
                "Сервис не ответил вовремя",
                "Повторите запрос; если вы отправляли заявление, сначала проверьте его статус.",
            ),
            (
                apigw.ResponseType.DEFAULT_4_XX,
                400,
                "bad_request",
                "Некорректный запрос",
                "Проверьте адрес и параметры запроса.",
            ),
            (
                apigw.ResponseType.DEFAULT_5_XX,
                500,
                "internal_error",
                "Внутренняя ошибка сервиса",
                "Попробуйте повторить запрос позже; данные заявления не потеряны.",
            ),
        ):
            self.rest_api.add_gateway_response(
                f"{code}Response",
                type=response_type,
                status_code=None
                if response_type in (apigw.ResponseType.DEFAULT_4_XX, apigw.ResponseType.DEFAULT_5_XX)
                else str(status),
                response_headers={"Content-Type": "'application/problem+json'"},
                templates={"application/json": _problem(status, code, title, detail)},
            )
        acknowledge(
            self.rest_api,
            "AwsSolutions-COG4",
            "Citizens sign in with the state identity provider (JWT checked by the Lambda authorizer "
            "on every method), not with Cognito.",
        )
        cloudwatch_role = self.rest_api.node.find_child("CloudWatchRole")
        acknowledge(
            cloudwatch_role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level role for execution logs; this AWS managed policy is the one the "
            "service documents for it and grants only log writes.",
        )
        self._waf()

    def _waf(self) -> None:
        """AWS managed rule groups and a per-IP rate limit in front of the stage."""

        def managed(name: str, priority: int, count: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
            overrides = [
                wafv2.CfnWebACL.RuleActionOverrideProperty(
                    name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                )
                for rule in count
            ]
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name, rule_action_overrides=overrides or None
                    )
                ),
                visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                    cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
                ),
            )

        rate = wafv2.CfnWebACL.RuleProperty(
            name="PerIpRateLimit",
            priority=0,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(limit=1000, aggregate_key_type="IP")
            ),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name="PerIpRateLimit", sampled_requests_enabled=True
            ),
        )
        # The API takes JSON of a few KB and signed XML of at most 64 KiB (documents go straight to S3):
        # anything larger is refused here, before it reaches a function. The common rule set's own
        # 8 KB body limit would refuse a signed application with its certificate chain, so that one
        # rule only counts and this one decides.
        body_limit = wafv2.CfnWebACL.RuleProperty(
            name="BodySizeLimit",
            priority=4,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                        body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
                    ),
                    comparison_operator="GT",
                    size=MAX_BODY_BYTES,
                    text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
                )
            ),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name="BodySizeLimit", sampled_requests_enabled=True
            ),
        )
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name="TaxCabinetApi", sampled_requests_enabled=True
            ),
            rules=[
                rate,
                managed("AWSManagedRulesCommonRuleSet", 1, count=("SizeRestrictions_BODY",)),
                managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
                managed("AWSManagedRulesAmazonIpReputationList", 3),
                body_limit,
            ],
            association_config=wafv2.CfnWebACL.AssociationConfigProperty(
                request_body={
                    "API_GATEWAY": wafv2.CfnWebACL.RequestBodyAssociatedResourceTypeConfigProperty(
                        default_size_inspection_limit="KB_64"
                    )
                }
            ),
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.rest_api.deployment_stage.stage_arn,
            web_acl_arn=acl.attr_arn,
        )
