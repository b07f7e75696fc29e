"""dbt's cross-database macros (`dbt.dateadd(...)` and so on), rendered as dbt-duckdb 1.11
compiles them (dbt/include/duckdb/macros/utils/ and the global project's defaults)."""


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart: str, interval, from_date_or_timestamp: str) -> str:
    unit = str(datepart).lower()
    if unit == "quarter":
        return f"({from_date_or_timestamp} + (cast({interval} as bigint) * 3) * interval 1 month)"
    if unit == "week":
        return f"({from_date_or_timestamp} + (cast({interval} as bigint) * 7) * interval 1 day)"
    return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {unit})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"(date_diff('{datepart}', ({first_date})::timestamp, ({second_date})::timestamp))"


def listagg(measure: str, delimiter_text: str = "','", order_by_clause: str | None = None, limit_num=None) -> str:
    order_by = f" {order_by_clause}" if order_by_clause else ""
    if limit_num:
        return f"list_aggr((array_agg({measure}{order_by}))[1:{limit_num}], 'string_agg', {delimiter_text})"
    return f"string_agg({measure}, {delimiter_text}{order_by})"


def type_bigint() -> str:
    return "bigint"


def type_int() -> str:
    return "integer"


def type_string() -> str:
    return "varchar"


def type_float() -> str:
    return "double"


def type_numeric() -> str:
    return "numeric(28, 6)"


def type_boolean() -> str:
    return "boolean"


def type_timestamp() -> str:
    return "timestamp"


def current_timestamp() -> str:
    return "now()"
