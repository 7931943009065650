"""What an OPTIONS request answers: the view's name, description and media types, no field list.

DRF's SimpleMetadata describes the fields by instantiating the view's serializer, which fails with a
500 on views that pick a serializer per action (a GenericViewSet of @actions has no
`serializer_class`) and runs `get_object()` for PUT. The fields are in /api/v1/schema/ already.
"""

from rest_framework.metadata import SimpleMetadata


class SchemaPointerMetadata(SimpleMetadata):
    def determine_metadata(self, request, view):
        metadata = super().determine_metadata(request, view)
        metadata.pop("actions", None)
        return metadata

    def determine_actions(self, request, view):
        return {}
