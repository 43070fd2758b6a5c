"""Prepaid return labels people can print: a 4x6 in PDF whose barcode scans back to the RMA."""
from __future__ import annotations

import io
import json
from datetime import datetime, timezone

from sqlalchemy import update

from bot.labels import LabelRequest, LocalPdfLabels
from bot.terminal import Terminal
from store import Identity, list_decisions
from store.models import ReturnRequest, Seller

from .labels_read import barcodes, page_size

FOUR_BY_SIX = (288.0, 432.0)  # points


def _request(**overrides) -> LabelRequest:
    fields = dict(rma="RR-06F3K2M9QX1B", return_address="Outdoor Gear Co Returns\n12 Summit Road\nBoulder, CO 80301",
                  seller_name="Outdoor Gear Co", sender_name="Alice", order_id="O2", product_name="Rain Jacket", quantity=1,
                  requested_at=datetime(2026, 11, 20, tzinfo=timezone.utc))
    return LabelRequest(**{**fields, **overrides})


def test_the_local_label_is_a_4x6_pdf_whose_barcodes_scan_back_to_the_rma():
    label = LocalPdfLabels().label(_request())
    assert label.filename == "return-label-RR-06F3K2M9QX1B.pdf" and label.content.startswith(b"%PDF")
    assert page_size(label.content) == FOUR_BY_SIX
    found = barcodes(label.content)
    assert found["Code128"] == "RR-06F3K2M9QX1B"
    assert json.loads(found["QRCode"]) == {"rma": "RR-06F3K2M9QX1B", "order": "O2"}


def test_labels_are_the_same_bytes_for_the_same_return():
    assert LocalPdfLabels().label(_request()).content == LocalPdfLabels().label(_request()).content


def test_long_addresses_and_names_outside_latin_1_still_make_a_scannable_label():
    label = LocalPdfLabels().label(_request(return_address="Zürich Lager 😀\n" + "Very long street name " * 10 + "\n" * 20 + "東京",
                                            sender_name="Ålice 😀", product_name="x" * 300))
    assert barcodes(label.content)["Code128"] == "RR-06F3K2M9QX1B"


def _approved_jacket_return(alice):
    alice.say("/refund")
    alice.tap("Rain Jacket")
    alice.tap("don't need it")
    return alice.tap("Used")


def test_an_approved_return_comes_with_its_label(alice, service):
    [reply] = _approved_jacket_return(alice)
    with service.store.read() as session:
        [record] = list_decisions(session, buyer_id="B1", kind="refund")
        rma = session.query(ReturnRequest.id).filter(ReturnRequest.decision_id == record.id).scalar()
    assert f"RMA {rma}" in reply.text and "/label shows the label again" in reply.text
    assert reply.attachment.kind == "document" and reply.attachment.filename == f"return-label-{rma}.pdf"
    assert barcodes(reply.attachment.content)["Code128"] == rma


def test_label_shows_the_latest_label_again(alice):
    assert "no return on its way back" in alice.say("/label")[0].text
    [decided] = _approved_jacket_return(alice)
    [again] = alice.say("/label")
    assert again.attachment.content == decided.attachment.content
    assert "Your prepaid return label for Rain Jacket" in again.text


def test_label_by_rma_is_only_for_the_buyers_own_returns(alice, bob):
    [decided] = _approved_jacket_return(alice)
    rma = barcodes(decided.attachment.content)["Code128"]
    assert alice.say(f"/label {rma}")[0].attachment is not None
    [refused] = bob.say(f"/label {rma}")
    assert refused.attachment is None and f"I couldn't find return {rma}" in refused.text
    assert "isn't available for your account" in linked_seller_label(bob.service).text


def linked_seller_label(service):
    from .conftest import linked

    return linked(service, 299, "seller", "S2").say("/label")[0]


def test_a_seller_without_a_return_address_gets_no_blank_label(alice, service):
    with service.store.write() as session:
        session.execute(update(Seller).where(Seller.id == "S1").values(return_address=None))
    [reply] = _approved_jacket_return(alice)
    assert reply.attachment is None
    assert "return address is missing" in reply.text and "Your return is approved" in reply.text


def test_the_terminal_saves_the_label_and_prints_its_path(service, tmp_path):
    terminal = Terminal(service, Identity(0, "buyer", "B1"), files_dir=tmp_path / "files")
    out = io.StringIO()
    terminal.run(io.StringIO("/refund\n2\n1\n1\n4\n"), out, prompt=False)  # O2, Rain Jacket, no longer needed, damaged
    [saved] = list((tmp_path / "files").iterdir())
    assert f"[document saved to {saved}]" in out.getvalue()
    assert barcodes(saved.read_bytes())["Code128"] in out.getvalue()
