"""The clip card's framing override (layout, person to follow)."""

from django.views.decorators.http import require_POST

from . import framing
from .forms import ClipFramingForm
from .roles import can_edit
from .views import _get_clip_for_user, _render_card, _require


@require_POST
def clip_framing(request, clip_id):
    """Saves the reviewer's layout / person for one clip; the preview is rendered again with it."""
    clip = _get_clip_for_user(request, clip_id)
    _require(can_edit(request.user))
    face_ids = [face.id for face in framing.clip_framing(clip).faces]
    form = ClipFramingForm(request.POST, face_ids=face_ids)
    if form.is_valid():
        changed = framing.clip_set_framing(
            clip=clip, layout=form.cleaned_data["layout"], follow_face=form.cleaned_data["follow_face"]
        )
        return _render_card(request, clip, framing_saved=changed)
    return _render_card(request, clip, framing_form=form)
