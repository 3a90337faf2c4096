"""Self-service forwarding addresses: a team member adds the other addresses they forward from.

Each is verified by a signed link mailed to it through the outbox (a row first, then a job, as
every email we send); the link works without a login, since it is often opened on another device.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import login_required

from triage.accounts import forwarding
from triage.errors import BadInput
from triage.outbound import dispatch, mime, outbox
from triage.web.inbox.common import user
from triage.web.services import db, redis, settings

log = logging.getLogger(__name__)

bp = Blueprint("forwarding", __name__, url_prefix="/account/forwarding")


@bp.get("")
@login_required
def index():
    return render_template(
        "forwarding/index.html",
        addresses=forwarding.addresses_of(db(), user()),
        inbound=settings().inbound_addresses,
    )


@bp.post("")
@login_required
def add():
    me = user()
    row = forwarding.register(db(), me, request.form.get("address", ""))
    if row.verified_at is not None:
        flash(f"{row.email} is already confirmed.")
        return redirect(url_for("forwarding.index"))
    link = url_for(
        "forwarding.confirm", token=forwarding.confirmation_token(settings().secret_key, row), _external=True
    )
    body = render_template(
        "forwarding/confirm_email.txt", name=me.name, address=row.email, link=link, days=forwarding.LINK_DAYS
    )
    try:
        mail = outbox.new_row(
            settings(),
            kind="forwarding_confirm",
            to_address=row.email,
            to_name=me.name,
            subject="Confirm your forwarding address for Triage",
            body_text=body,
            automatic=True,
            created_by_id=me.id,
        )
    except mime.BadAddress as exc:
        raise BadInput(str(exc)) from None
    db().add(mail)
    db().commit()
    dispatch.nudge_delivery(redis(), [mail.id])  # Redis down: the outbox sweep sends it
    log.info("forwarding address %s registered by user %s; confirmation %s queued", row.id, me.id, mail.id)
    flash(f"We sent a confirmation link to {row.email}. Open it to start forwarding from there.")
    return redirect(url_for("forwarding.index"))


@bp.post("/<int:address_id>/remove")
@login_required
def remove(address_id: int):
    forwarding.remove(db(), user(), address_id)
    db().commit()
    flash("Removed.")
    return redirect(url_for("forwarding.index"))


@bp.get("/confirm/<token>")
def confirm(token: str):
    row = forwarding.confirm(db(), settings().secret_key, token)
    db().commit()
    return render_template("forwarding/confirmed.html", address=row.email)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
