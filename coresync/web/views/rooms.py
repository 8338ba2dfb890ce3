"""The desk's smart-room controls (SPEC §10, docs/smart-rooms.md): each room with devices,
a scene to play by hand, and the latest commands with how the devices answered. The front
desk board embeds the same form (``POST /desk/rooms/<room>/scene/``, field ``scene``)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coresync.core.errors import DomainError
from coresync.iot.models import Scene
from coresync.iot.selectors import command_log, latest_readings
from coresync.iot.services import trigger_scene
from coresync.resources.models import Room
from coresync.web.views.desk import desk_only


@desk_only
def rooms(request: HttpRequest) -> HttpResponse:
    """Every room with devices: its scene form, latest readings and commands."""
    rows = [
        {
            "room": room,
            "commands": list(command_log(room.pk, limit=8)),
            "readings": latest_readings(room.pk),
        }
        for room in Room.objects.filter(devices__is_active=True).distinct().order_by("name")
    ]
    scenes = Scene.objects.filter(is_idle=False).order_by("name")
    idle = Scene.objects.filter(is_idle=True).order_by("pk")
    context = {"rows": rows, "scenes": [*scenes, *idle]}
    return render(request, "web/desk/rooms.html", context)


@desk_only
@require_POST
def play_scene(request: HttpRequest, room: str) -> HttpResponse:
    """Play the posted ``scene`` in ``room`` now; back to ``next`` (this site only) or the
    rooms page, with a message saying it was asked for or why not."""
    target = get_object_or_404(Room, slug=room)
    try:
        trigger_scene(target, request.POST.get("scene", ""), actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The scene was sent to %(room)s.") % {"room": target.name})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/desk/rooms/"
    return redirect(next_url)
