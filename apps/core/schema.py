"""OpenAPI generation: the API's one error body as a component, declared on every operation.

Any operation can answer 400 (malformed query or body), 401 (a bad or expired `Authorization`
header is refused even where no login is needed), 403, 404, 406 (an `Accept` header that rules
out JSON) and 429 (every view is throttled), and
an operation with a body can also answer 413 and 415. Views document the errors that carry a
meaning of their own (`409 already_enrolled`); this schema class adds the rest, all with the
`Error` body that `apps.core.exceptions` produces, so a client generated from the schema knows
the shape of every failure.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

JSON = "application/json"

COMMON_ERRORS = {
    "400": "The request is malformed or invalid (`validation_error` lists the fields).",
    "401": "No credentials where they are needed, or an invalid or expired token.",
    "403": "The caller may not do this.",
    "404": "Not found, or not visible to the caller.",
    "406": "The `Accept` header asks for something other than JSON, the only format the API answers in.",
    "429": "Throttled: wait for the seconds in `Retry-After` (also `retry_after` in the body).",
}
BODY_ERRORS = {
    "413": "The request body is too large.",
    "415": "The request body's Content-Type is not accepted.",
}


class ErrorSerializer(serializers.Serializer):
    """The API's JSON error body; some errors add keys of their own (`retry_after`, `challenge_token`)."""

    code = serializers.CharField(help_text="Stable snake_case code, e.g. `validation_error`, `not_found`.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    message = serializers.CharField(help_text="The same text: what the website displays.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors only: messages per field (`parent.child` for nested fields).",
    )
    request_id = serializers.CharField(help_text="The X-Request-ID of the request, for support and logs.")

    class Meta:
        ref_name = "Error"


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


class ErrorResponsesAutoSchema(AutoSchema):
    """AutoSchema that documents the common error responses of every operation."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(COMMON_ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(BODY_ERRORS)
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    error_response(description), code, [JSON], direction=direction
                )
        # Errors a view documented by description only get the body too.
        for code, response in responses.items():
            if int(code) >= 400 and not response.get("content"):
                described = self._get_response_for_code(ErrorSerializer, code, [JSON], direction=direction)
                response["content"] = described["content"]
        return dict(sorted(responses.items()))
