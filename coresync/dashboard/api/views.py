"""``GET /api/v1/dashboard/``: the manager dashboard's numbers as JSON (docs/dashboard.md)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.core.api.permissions import IsManager
from coresync.dashboard.api.serializers import DashboardQuerySerializer, DashboardSerializer
from coresync.dashboard.selectors import dashboard_report


class DashboardView(APIView):
    """The numbers of a range, computed as for the dashboard page and its exports (the same
    tables). Managers only. 400 ``invalid``: a malformed date or grain, ``date_to`` before
    ``date_from``, a range over 366 days."""

    permission_classes = [IsManager]

    @extend_schema(parameters=[DashboardQuerySerializer], responses=DashboardSerializer)
    def get(self, request):
        query = DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        report = dashboard_report(params["date_from"], params["date_to"], params["grain"])
        return Response(DashboardSerializer(report).data)
