"""Russian texts for every stable code the service answers with.

One table, so a code always carries the same message and the same fix wherever it appears
(a problem, a field error, a rejection reason, a required action, a status). What carries no code
is written where it happens: a history line's note and the text of a message sent to a citizen
belong to the step that records or sends them.
"""

from __future__ import annotations

from typing import Any

FIELD_MESSAGES: dict[str, str] = {
    "missing_field": "Обязательное поле не заполнено.",
    "invalid_type": "Значение имеет неверный тип.",
    "invalid_value": "Недопустимое значение.",
    "invalid_json": "Тело запроса не является корректным JSON-объектом.",
    "inn_format": "ИНН физического лица состоит из 12 цифр.",
    "inn_region": "Первые две цифры ИНН (код региона) не могут быть 00.",
    "inn_checksum": "ИНН не проходит проверку контрольных цифр: вероятно, в номере опечатка.",
    "inn_region_unknown": "Код региона в ИНН нам неизвестен: проверьте первые две цифры.",
    "snils_format": "СНИЛС указывается в формате XXX-XXX-XXX YY (11 цифр).",
    "snils_checksum": "СНИЛС не проходит проверку контрольного числа: вероятно, в номере опечатка.",
    "passport_format": "Серия паспорта — 4 цифры, номер — 6 цифр.",
    "division_code_format": "Код подразделения указывается в формате XXX-XXX.",
    "passport_issue_date": "Дата выдачи паспорта не может быть в будущем или раньше 14-летия владельца.",
    "passport_expired": (
        "Паспорт недействителен: его нужно было заменить по достижении 20 или 45 лет. Укажите данные нового паспорта."
    ),
    "phone_format": "Укажите российский номер мобильного телефона, например +7 912 345-67-89.",
    "email_format": "Адрес электронной почты указан неверно.",
    "birth_date_range": "Заявителю должно быть не меньше 14 лет; дата рождения — не ранее 1900 года.",
    "name_format": "ФИО может содержать только буквы, пробелы, дефис и апостроф (до 100 символов).",
    "address_format": "Укажите адрес регистрации (не короче 5 символов).",
    "channel_not_allowed": "Этот канал подачи недоступен для данного запроса.",
    "date_format": "Дата указывается в формате ГГГГ-ММ-ДД.",
}

# Texts of field errors said of one field in particular; the error's code stays the generic one
# (missing_field, invalid_value), the key here only picks the text.
FIELD_TEXTS: dict[str, str] = {
    "enum_value": "Недопустимое значение: выберите одно из допустимых.",
    "contacts_missing": "Укажите новый телефон или адрес почты.",
    "code_missing": "Введите код из SMS или письма.",
    "decision_value": "Решение: approve или reject.",
    "decision_reason": "Укажите причину решения (3–1000 символов).",
    "queue_value": "Очередь: review.",
    "search_missing": "Укажите status или inn для поиска.",
    "changes_missing": "Укажите хотя бы одно изменение.",
    "ticket_email_missing": "Для ответа по почте укажите адрес электронной почты.",
    "ticket_change_missing": "Укажите assignee, status или answer.",
    "ticket_answer_missing": "Статус answered ставится вместе с ответом.",
    "ticket_status_value": "Статус: open, in_progress, answered или resolved.",
    "ticket_overdue_value": "overdue: true или false.",
    "ticket_overdue_status": "Просроченными бывают только обращения в статусах open и in_progress.",
    "document_type": "Тип документа: {types}.",
    "content_type": "Допустимы PDF, JPEG и PNG.",
    "document_size": "Размер файла — от 1 байта до {megabytes} МБ.",
}


def field_text(key: str, **params: object) -> str:
    """The text of a field error said of one field (FIELD_TEXTS), its {params} filled in."""
    text = FIELD_TEXTS[key]
    return text.format(**params) if params else text


# The hint added to a checksum error when few valid numbers are one typo away ({numbers}).
APPLICATION_SUGGESTIONS_HINT = (
    " Номера, отличающиеся одной цифрой или перестановкой соседних, которые проходят проверку: {numbers}."
    " Сверьте с документом."
)
TICKET_SUGGESTIONS_HINT = " Номера, отличающиеся одной цифрой или перестановкой соседних: {numbers}."


def problem_body(
    status: int, code: str, title: str, detail: str, errors: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    """An RFC 9457 problem with our stable `code` and field `errors` (the API, API Gateway's own
    responses and the local gateway all answer with this shape)."""
    return {
        "type": f"urn:tax-cabinet:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
        **extra,
    }


def field_message(code: str) -> str:
    return FIELD_MESSAGES.get(code, FIELD_MESSAGES["invalid_value"])


# Rejection reasons: what happened and what the citizen can do about it.
REJECTIONS: dict[str, tuple[str, str]] = {
    "duplicate_inn": (
        "По вашему ИНН уже есть заявление в работе или подключённый кабинет.",
        "Проверьте статус прежнего заявления в списке заявлений; новое можно подать, если прежнее отклонено.",
    ),
    "contact_not_confirmed": (
        "Телефон или почта не подтверждены в течение 30 дней.",
        "Подайте заявление снова и введите код из SMS или письма в течение 10 минут.",
    ),
    "inn_not_found": (
        "ИНН не найден в реестре ФНС.",
        "Проверьте ИНН в свидетельстве о постановке на учёт или узнайте его по паспорту "
        "в сервисе ФНС «Узнать ИНН», затем подайте заявление снова.",
    ),
}

# Required actions: what the citizen (or an operator) must do next, by code; `code.variant` where
# one code reads differently in one situation. `{where}` is the masked phone or e-mail.
ACTIONS: dict[str, str] = {
    "confirm_contact": "Введите 6-значный код, отправленный на {where}. Код действует 10 минут.",
    "confirm_contact.expired": "Срок действия кода истёк. Запросите новый код: он придёт на {where}.",
    "fix_fields": "Проверьте и исправьте поля.",
    "fix_fields.inn_not_found": (
        "ФНС не нашла ИНН по этим паспортным данным. Проверьте ФИО, дату рождения и паспорт "
        "или укажите ИНН из свидетельства о постановке на учёт."
    ),
    "upload_documents": "Если данные указаны верно, загрузите подтверждающие документы.",
    "wait_review": "Заявление проверит сотрудник.",
    "wait_review.documents": "Документы проверяет сотрудник.",
}


def action_text(code: str, variant: str | None = None, **params: object) -> str:
    """The text of a required action (`variant` picks a situation's wording of the same code)."""
    text = ACTIONS[f"{code}.{variant}" if variant else code]
    return text.format(**params) if params else text


# Mismatches found by the registry check: the field, the message, the fix.
MISMATCHES: dict[str, tuple[str, str]] = {
    "full_name": (
        "ФИО не совпадает с данными ФНС.",
        "Проверьте написание ФИО; если фамилия менялась, загрузите свидетельство о браке или паспорт с новыми данными.",
    ),
    "birth_date": (
        "Дата рождения не совпадает с данными ФНС.",
        "Проверьте дату рождения; если она указана верно, загрузите страницы паспорта.",
    ),
    "passport": (
        "Паспортные данные не совпадают с данными ФНС.",
        "Проверьте серию и номер; если паспорт недавно заменён, загрузите страницы нового паспорта.",
    ),
}

STATUS_LABELS: dict[str, str] = {
    "in_progress": "В обработке",
    "needs_clarification": "Требуется уточнение",
    "ready": "Готов",
    "rejected": "Отклонено",
}

PROBLEM_TITLES: dict[str, str] = {
    "validation_failed": "Данные заявления заполнены с ошибками",
    "duplicate_application": "По этому ИНН уже есть заявление в работе или активный кабинет",
    "account_not_confirmed": "Подать заявление может только подтверждённая учётная запись",
    "forbidden": "Недостаточно прав",
    "not_found": "Не найдено",
    "unauthorized": "Требуется вход",
    "method_not_allowed": "Метод не поддерживается",
    "internal_error": "Внутренняя ошибка сервиса",
    "idempotency_conflict": "Запрос с этим ключом идемпотентности ещё обрабатывается",
    "identity_provider_unavailable": "Госуслуги сейчас не отвечают",
    "application_closed": "Заявление уже рассмотрено",
    "not_in_review": "Заявление не ожидает решения",
    "code_invalid": "Неверный код",
    "code_locked": "Слишком много неверных попыток",
    "code_expired": "Срок действия кода истёк",
    "no_code_pending": "Код подтверждения сейчас не ожидается",
    "resend_too_soon": "Новый код можно запросить раз в минуту",
    "signed_xml_unavailable": "Приём подписанных заявлений сейчас не настроен",
    "payload_too_large": "Слишком большой запрос",
    "xml_malformed": "Документ не является заявлением в формате XML",
    "signature_missing": "Документ не подписан",
    "signature_invalid": "Подпись не прошла проверку",
    "certificate_untrusted": "Сертификат подписи выдан не аккредитованным удостоверяющим центром",
    "certificate_expired": "Сертификат подписи не действовал в момент подписания",
    "signing_time_invalid": "Время подписания вне допустимого интервала",
    "signer_mismatch": "Заявление подписано другим человеком",
    "profile_not_found": "Личный кабинет ещё не подключён",
    "documents_missing": "Загружены не все документы",
    "change_request_closed": "Заявка уже рассмотрена",
}

PROBLEM_DETAILS: dict[str, str] = {
    "validation_failed": "Исправьте поля, перечисленные в errors, и отправьте заявление снова.",
    "duplicate_application": (
        "Новое заявление можно подать, только если прежнее отклонено. "
        "Статус прежнего заявления виден в списке ваших заявлений."
    ),
    "account_not_confirmed": (
        "Подтвердите учётную запись на Госуслугах (в МФЦ, через банк или электронной подписью) "
        "и подайте заявление снова."
    ),
    "forbidden": "Это действие доступно только сотрудникам налогового органа.",
    "not_found": "Заявление не найдено или недоступно этой учётной записи.",
    "internal_error": "Попробуйте повторить запрос позже; данные заявления не потеряны.",
    "idempotency_conflict": "Повторите запрос через несколько секунд.",
    "identity_provider_unavailable": "Заполните заявление вручную или повторите попытку позже.",
    "code_invalid": "Проверьте код из SMS или письма и введите его ещё раз.",
    "code_locked": "Запросите новый код: прежний заблокирован после 5 неверных попыток.",
    "code_expired": "Запросите новый код: он придёт на тот же телефон или почту.",
    "no_code_pending": "Контакт уже подтверждён или заявление на другом этапе.",
    "resend_too_soon": "Подождите до конца минуты (см. заголовок Retry-After) и запросите код снова.",
    "signed_xml_unavailable": "Подайте заявление через форму на портале или в мобильном приложении.",
    "payload_too_large": "Тело запроса больше 64 КБ. Документы загружайте по ссылке для загрузки, а не в теле запроса.",
}

# Support tickets (shared/support/tickets.py).
TICKET_STATUS_LABELS: dict[str, str] = {
    "open": "Открыто",
    "in_progress": "В работе",
    "answered": "Дан ответ",
    "resolved": "Решено",
}
FIELD_MESSAGES.update(
    {
        "description_length": "Опишите проблему: от 10 до 4000 символов.",
        "message_length": "Сообщение — от 1 до 4000 символов.",
        "screenshot_type": "Снимок экрана принимается в формате PNG или JPEG.",
        "screenshot_size": "Размер снимка экрана — от 1 байта до 5 МБ.",
        "application_not_found": (
            "Заявление с таким номером не найдено среди ваших заявлений: проверьте номер или не указывайте его."
        ),
    }
)
PROBLEM_TITLES.update(
    {
        "ticket_closed": "Обращение закрыто",
        "ticket_changed": "Обращение изменилось",
    }
)
PROBLEM_DETAILS.update(
    {
        "ticket_closed": "Вопрос по закрытому обращению задайте в новом обращении.",
        "ticket_changed": "Обращение только что изменил кто-то ещё: откройте его заново и повторите действие.",
    }
)


# Signed XML applications (shared/signed_xml/channel.py): the base text of each refusal; a hint
# about the element at fault may follow it.
SIGNED_XML_MESSAGES: dict[str, str] = {
    "xml_malformed": "Документ не является корректным XML-заявлением в формате urn:tax-cabinet:application:1.",
    "signature_missing": (
        "Заявление не подписано: в корневом элементе нет электронной подписи (ds:Signature). "
        "Подпишите заявление и отправьте его снова."
    ),
    "signature_invalid": (
        "Электронная подпись недействительна: документ изменён после подписания или подпись сформирована "
        "не так, как требуется (подпись всего документа, enveloped). Подпишите заявление заново."
    ),
    "certificate_untrusted": (
        "Сертификат подписи выдан удостоверяющим центром, которому сервис не доверяет, или отсутствует в подписи. "
        "Подпишите заявление сертификатом аккредитованного удостоверяющего центра."
    ),
    "certificate_expired": (
        "Сертификат подписи не действовал в момент подписания: срок его действия истёк или ещё не начался. "
        "Подпишите заявление действующим сертификатом."
    ),
    "signing_time_invalid": (
        "Время подписания указано в будущем или заявление подписано слишком давно (больше 7 дней назад). "
        "Проверьте часы компьютера и подпишите заявление заново."
    ),
    "signer_mismatch": (
        "Заявление подписано сертификатом другого человека: СНИЛС в сертификате не совпадает со СНИЛС в заявлении. "
        "Подпишите заявление своей электронной подписью."
    ),
}

SIGNED_XML_HINTS: dict[str, str] = {
    "not_xml": "Тело запроса должно быть XML-документом.",
    "too_large": "Размер документа больше {kib} КиБ.",
    "not_well_formed": "Документ не является правильно построенным XML.",
    "dtd": "Объявления DOCTYPE и сущностей (DTD) не допускаются.",
    "root": "Корневой элемент должен быть {root} в пространстве имён {namespace}.",
    "signed_at_format": (
        "Время подписания (signed_at) указывается в формате ISO 8601 с часовым поясом, "
        "например 2026-11-27T12:00:00+03:00."
    ),
    "signed_not_xml": "Подписанное содержимое не является XML-документом.",
    "attributes": "У элемента {element} не должно быть атрибутов.",
    "text_outside": "Элемент {element} содержит текст вне вложенных элементов.",
    "unknown_element": "Неизвестный элемент {name} в {element}.",
    "repeated": "Элемент {element} указан более одного раза.",
    "missing_element": "Нет обязательного элемента {element}.",
    "text_only": "Элемент {element} должен содержать только текст.",
}

# Problems of review, profile changes and the API edge. A key `code.variant` is the code's text
# said of one thing in particular (a ticket, a change request); {params} are filled in.
PROBLEM_TITLES.update(
    {
        "concurrent_update": "Данные изменились",
        "duplicate_partner_request": "Запрос партнёра уже принят",
    }
)
PROBLEM_DETAILS.update(
    {
        "not_found.route": "Такого адреса в API нет.",
        "not_found.change_request": "Заявка не найдена.",
        "not_found.ticket": "Обращение не найдено или недоступно этой учётной записи.",
        "forbidden.support": "Это действие доступно только сотрудникам поддержки.",
        "validation_failed.ticket": "Исправьте поля, перечисленные в errors, и отправьте обращение снова.",
        "validation_failed.idempotency_key": "Этот Idempotency-Key уже использован с другим телом запроса.",
        "application_closed": "Заявление уже рассмотрено: документы не нужны.",
        "not_in_review": "Заявление не ожидает решения сотрудника.",
        "profile_not_found": "Личный кабинет ещё не подключён: изменять пока нечего.",
        "profile_not_found.application_gone": "Заявление, к которому относится заявка, не найдено.",
        "change_request_closed": "Заявка уже рассмотрена.",
        "change_request_closed.documents": "Заявка уже рассмотрена: документы не нужны.",
        "documents_missing": "Не все документы загружены: {missing}.",
        "concurrent_update": "Данные только что изменил кто-то ещё: откройте их заново и повторите действие.",
    }
)


def problem_title(code: str) -> str:
    return PROBLEM_TITLES.get(code, code)


def problem_detail(code: str, variant: str | None = None, params: dict[str, str] | None = None) -> str:
    """The detail of a problem: the variant's text if there is one, else the code's, else its title."""
    text = (PROBLEM_DETAILS.get(f"{code}.{variant}") if variant else None) or PROBLEM_DETAILS.get(code)
    text = text or problem_title(code)
    return text.format(**params) if params else text
