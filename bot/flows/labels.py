"""Prepaid return labels in the chat: sent with an approved return, and again on /label."""
from __future__ import annotations

from store import NotFound, ReturnLabelView, buyer_return_label, buyer_return_labels

from ..labels import LabelRequest
from ..messages import Attachment, Reply
from .turn import Turn


def label_attachment(turn: Turn, view: ReturnLabelView) -> Attachment | None:
    """The printable label of a return, or None when the seller has no return address on file."""
    if not (view.return_address or "").strip():
        return None
    made = turn.service.labels.label(LabelRequest(
        rma=view.rma, return_address=view.return_address, seller_name=view.seller_name, sender_name=view.buyer_name,
        order_id=view.order_id, product_name=view.product_name, quantity=view.quantity, requested_at=view.requested_at))
    return Attachment(made.filename, made.content, "document")


def label_for(turn: Turn, rma: str) -> tuple[ReturnLabelView, Attachment | None]:
    """The buyer's return `rma` and its label (NotFound for anyone else's)."""
    view = buyer_return_label(turn.session, buyer_id=turn.account, rma=rma)
    return view, label_attachment(turn, view)


def label(turn: Turn, rma: str = "") -> list[Reply]:
    """/label [RMA]: the label of the named return, or of the latest return still on its way back."""
    rma = rma.strip()
    if rma:
        try:
            view, attachment = label_for(turn, rma)
        except NotFound:
            return [turn.reply("not_found", what="return", id=rma)]
    else:
        open_returns = [v for v in buyer_return_labels(turn.session, buyer_id=turn.account) if v.return_delivered_at is None]
        if not open_returns:
            return [turn.reply("label_none")]
        view, attachment = open_returns[0], label_attachment(turn, open_returns[0])
    if attachment is None:
        return [turn.reply("label_unavailable", rma=view.rma)]
    return [Reply(turn.t("label_again", rma=view.rma, product=view.product_name), attachment=attachment)]
