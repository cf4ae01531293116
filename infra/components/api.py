"""The REST API: a JWT authorizer (and its function) on every method, explicit routes, access
logs, X-Ray, and the WAF (infra/components/waf.py) in front of the stage."""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.components.logical_ids import keep_logical_ids, path_in_stack
from infra.components.nag import acknowledge
from infra.components.service_function import FunctionRuntime, ServiceFunction
from infra.components.waf import Firewall
from infra.routes import APPLICATION_ROUTES, PROFILE_ROUTES, SUPPORT_ROUTES  # every route explicit (no {proxy+})
from shared.core.messages import problem_body

STAGE = "v1"


def _problem(status: int, code: str, title: str, detail: str) -> str:
    return json.dumps(problem_body(status, code, title, detail), ensure_ascii=False)


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: FunctionRuntime,
        applications_function: lambda_.IFunction,
        profile_function: lambda_.IFunction,
        support_function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        # Checks the identity provider's JWT; touches no data (its role: its logs and X-Ray only).
        self.authorizer_function = ServiceFunction(
            self,
            "AuthorizerFunction",
            runtime=runtime,
            folder="authorizer",
            handler="functions.authorizer.handler.handler",
            timeout=10,
        )
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.RETAIN
        )
        authorizer = apigw.TokenAuthorizer(
            self,
            "JwtAuthorizer",
            handler=self.authorizer_function,
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
        for function, routes in (
            (applications_function, APPLICATION_ROUTES),
            (profile_function, PROFILE_ROUTES),
            (support_function, SUPPORT_ROUTES),
        ):
            integration = apigw.LambdaIntegration(function)
            for path, method in routes:
                resource = self.rest_api.root.resource_for_path(path)
                resource.add_method(method, integration)
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
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG2",
            "The methods declare no request models or required parameters, so an API Gateway request "
            "validator would check nothing; each function validates its bodies and parameters itself "
            "(pydantic models) and answers with the service's problem body.",
        )
        cloudwatch_role = self.rest_api.node.find_child("CloudWatchRole")
        acknowledge(
            cloudwatch_role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level role for execution logs; this AWS managed policy is the one the "
            "service documents for it and grants only log writes.",
        )
        self.firewall = Firewall(self, "Firewall", stage=self.rest_api.deployment_stage)
        keep_logical_ids(self.firewall, path_in_stack(self))  # its ids from when it was made here
