"""Monthly statements (RULES 6.4, 6.5): build, store, export as CSV and PDF; the accounting export.

What goes on the statement of a month
-------------------------------------
* the subscription fee of the plan in force on the 1st of the month (subscriptions with a monthly
  fee start on a 1st and end on a last day, RULES 6.3), and the monthly price of each add-on;
* every hour package bought in the month, at its price;
* billable time: the entries' ``overage_minutes`` per kind of work and rate, as hours × rate;
* after-hours emergencies (KJM OPIEKA without an hours add-on), on their own lines;
* the KJM yearly update fee (``billing.update_fee``): the months without OPIEKA that became known in
  the month, or a credit after a re-activation; issuing the statement writes its charge records.

VAT is taken once on the total net per rate (``pricing.Totals``), at ``settings.BILLING_VAT_RATE``
(default 23 %). A stored statement is a snapshot; generating it again from the same data gives the
same lines and totals and keeps its ``generated_at``.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from billing.models import BillingParty, Package, Quote, Statement
from billing.pricing import Totals
from billing.selectors import billable_groups, time_entries_for_month
from billing.services import month_bounds
from billing.update_fee import MonthCharge, Run, update_charges_record, update_year
from core import csv_export
from core.models import Organization, Tenant, User
from core.services import audit_record
from plans.dates import last_of_month
from plans.models import addons_on
from plans.selectors import plan_in_force

log = logging.getLogger(__name__)

DEFAULT_VAT_RATE = Decimal("0.23")
FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

MONTHS_PL = ["styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień", "wrzesień",
             "październik", "listopad", "grudzień"]
KIND_PL = {"phone": "telefonicznie", "remote": "zdalnie", "email": "e-mail", "development": "prace programistyczne",
           "onsite": "u klienta"}


def vat_rate() -> Decimal:
    return Decimal(str(getattr(settings, "BILLING_VAT_RATE", DEFAULT_VAT_RATE)))


@dataclass(frozen=True)
class Line:
    code: str  # subscription, addon, package, time, after_hours, update
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    net: Decimal

    def as_json(self) -> dict:
        return {"code": self.code, "description": self.description, "quantity": str(self.quantity),
                "unit": self.unit, "unit_price": str(self.unit_price), "net": str(self.net)}


@dataclass(frozen=True)
class StatementData:
    month: date
    lines: list[Line]
    totals: Totals
    vat_rate: Decimal
    currency: str
    update_runs: tuple[Run, ...] = ()  # the update-fee runs the statement charges (written when issued)
    update_value: Decimal | None = None


def _month_label(month: date) -> str:
    return f"{MONTHS_PL[month.month - 1]} {month.year}"


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def _fmt_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _subscription_lines(tenant: Tenant, organization: Organization, month: date) -> tuple[list[Line], str]:
    in_force = plan_in_force(tenant=tenant, organization=organization, at=month)
    terms, subscription = in_force.terms, in_force.subscription
    currency = terms.currency if terms else "PLN"
    lines: list[Line] = []
    if subscription is None or terms is None or terms.billing_mode not in ("monthly", "contract"):
        return lines, currency
    if terms.price_net:
        lines.append(Line("subscription", f"Abonament {terms.plan_name} — {_month_label(month)}", Decimal("1"),
                          "mies.", terms.price_net, terms.price_net))
    for addon in addons_on(subscription.addons.all(), month):
        if addon.price_net:
            label = addon.get_kind_display() + (f" ({addon.product})" if addon.product else "")
            lines.append(Line("addon", f"Dodatek: {label} — {_month_label(month)}", Decimal("1"), "mies.",
                              addon.price_net, addon.price_net))
    return lines, currency


def _package_lines(tenant: Tenant, organization: Organization, month: date) -> list[Line]:
    packages = (Package.objects.for_tenant(tenant)
                .filter(organization=organization, purchased_on__gte=month, purchased_on__lte=last_of_month(month))
                .order_by("purchased_on", "id"))
    return [Line("package", f"Pakiet {_hours(p.minutes).normalize():f} h, zakupiony {_fmt_date(p.purchased_on)}, "
                            f"ważny do {_fmt_date(p.valid_until)}", Decimal("1"), "szt.", p.price_net, p.price_net)
            for p in packages]


def _time_lines(tenant: Tenant, organization: Organization, month: date) -> list[Line]:
    """Billable time per (after hours, kind, rate): ``selectors.billable_groups``, priced once per line."""
    lines = []
    for group in billable_groups(tenant=tenant, organization=organization, month=month):
        kind = KIND_PL.get(group.kind, group.kind)
        if group.quote_id is not None:
            label = (f"Praca wg oferty nr {group.quote_id} ({kind})" if group.rate is not None
                     else f"Praca w ramach ceny stałej oferty nr {group.quote_id} ({kind})")
            lines.append(Line("quote_time", label, _hours(group.minutes), "h", group.rate or Decimal("0.00"),
                              group.net))
        elif group.rate is None:
            lines.append(Line("quote_needed", f"Praca poza zakresem planu do wyceny indywidualnej ({kind})",
                              _hours(group.minutes), "h", Decimal("0.00"), group.net))
        elif group.after_hours:
            lines.append(Line("after_hours", f"Interwencja awaryjna poza godzinami pracy ({kind})",
                              _hours(group.minutes), "h", group.rate, group.net))
        else:
            lines.append(Line("time", f"Praca płatna wg stawki godzinowej ({kind})", _hours(group.minutes), "h",
                              group.rate, group.net))
    return lines


def _update_lines(tenant: Tenant, organization: Organization, month: date) -> tuple[list[Line], MonthCharge | None,
                                                                                  Decimal | None]:
    """The update line of ``month`` (``billing.update_fee``), with the runs it charges and the value."""
    summary = update_year(tenant=tenant, organization=organization, year=month.year, through_month=month.month)
    charge = summary.months.get(month.month)
    if charge is None or summary.value is None:
        return [], None, None
    if not charge.net:
        return [], charge, summary.value
    unit_price = (summary.value / 12).quantize(Decimal("0.01"))
    if any(run.kind != "charge" for run in charge.runs):
        credited = [m for run in charge.runs if run.kind == "credit" for m in run.months]
        what = (f"zwrot za miesiące z opieką po ponownej aktywacji ({', '.join(MONTHS_PL[m - 1] for m in credited)})"
                if credited else "rozliczenie zmiany wartości aktualizacji")
        charged = [m for run in charge.runs if run.kind == "charge" for m in run.months]
        if charged:
            what += f"; dopłata za miesiące bez opieki ({', '.join(MONTHS_PL[m - 1] for m in charged)})"
        return [Line("update", f"Aktualizacja roczna {month.year}: {what} (miesięcy bez opieki w roku: "
                               f"{len(summary.inactive_months)})", Decimal("1"), "szt.", charge.net, charge.net)], \
            charge, summary.value
    months = [m for run in charge.runs for m in run.months]
    names = ", ".join(MONTHS_PL[m - 1] for m in months)
    return [Line("update", f"Aktualizacja roczna {month.year}: {len(months)} mies. bez opieki ({names}) × "
                           f"{_money_pl(summary.value)} ÷ 12", Decimal(len(months)), "mies.", unit_price,
                 charge.net)], charge, summary.value


def _quote_lines(tenant: Tenant, organization: Organization, month: date) -> list[Line]:
    """Fixed-price quotes accepted in the month (the time logged against them is listed at 0.00)."""
    begin, end = month_bounds(tenant, month)
    quotes = (Quote.objects.for_tenant(tenant)
              .filter(organization=organization, status=Quote.Status.ACCEPTED, fixed_price_net__isnull=False,
                      decided_at__gte=begin, decided_at__lt=end).order_by("decided_at", "id"))
    return [Line("quote", f"Oferta nr {q.pk}: {q.description} (przyjęta {_fmt_date(timezone.localtime(q.decided_at))})",
                 Decimal("1"), "szt.", q.fixed_price_net, q.fixed_price_net) for q in quotes]


def statement_build(*, tenant: Tenant, organization: Organization, month: date) -> StatementData:
    """The statement of ``month`` computed from the current data (nothing is stored)."""
    month = month.replace(day=1)
    lines, currency = _subscription_lines(tenant, organization, month)
    lines += _package_lines(tenant, organization, month)
    lines += _quote_lines(tenant, organization, month)
    lines += _time_lines(tenant, organization, month)
    update, update_charge, update_value = _update_lines(tenant, organization, month)
    lines += update
    rate = vat_rate()
    return StatementData(month=month, lines=lines, totals=Totals.from_lines([line.net for line in lines], rate),
                         vat_rate=rate, currency=currency,
                         update_runs=update_charge.runs if update_charge else (), update_value=update_value)


@transaction.atomic
def statement_generate(*, tenant: Tenant, organization: Organization, month: date,
                       actor: User | None = None) -> Statement:
    """Issue the statement of ``month``: computed once, then frozen.

    A stored statement is the issued document of a closed month: it is never recomputed, so a later
    change of terms, overrides or entries cannot change it (late work of a closed month is refused
    by the time entry services, see ``billing.services.month_is_closed``).
    """
    if organization.tenant_id != tenant.pk:
        from django.core.exceptions import ValidationError

        raise ValidationError({"organization": _("Unknown organization.")})
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    first = month.replace(day=1)
    statement = Statement.objects.for_tenant(tenant).filter(organization=organization, month=first).first()
    if statement is not None:
        return statement
    data = statement_build(tenant=tenant, organization=organization, month=first)
    statement = Statement.objects.create(
        tenant=tenant, organization=organization, month=data.month, generated_at=timezone.now(),
        lines=[line.as_json() for line in data.lines], net=data.totals.net, vat=data.totals.vat,
        gross=data.totals.gross, vat_rate=data.vat_rate, currency=data.currency)
    if data.update_runs:
        update_charges_record(statement=statement, runs=list(data.update_runs), value=data.update_value)
    audit_record(tenant=tenant, actor=actor, action="statement.generated", obj=statement,
                 summary=f"{organization.name} {data.month:%Y-%m}: {data.totals.gross} {data.currency}",
                 data={"net": str(data.totals.net), "vat": str(data.totals.vat), "gross": str(data.totals.gross)})
    return statement


def month_close(*, month: date) -> int:
    """Generate the missing statements of ``month`` for every organization; returns how many."""
    created = 0
    month = month.replace(day=1)
    for organization in Organization.objects.select_related("tenant").order_by("tenant_id", "id"):
        if Statement.objects.filter(tenant_id=organization.tenant_id, organization=organization, month=month).exists():
            continue
        statement_generate(tenant=organization.tenant, organization=organization, month=month)
        created += 1
    return created


# --- exports -------------------------------------------------------------------------------------


def _money_pl(value: Decimal | str) -> str:
    """1234.5 → "1 234,50" (Polish grouping with a non-breaking space)."""
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    whole, _dot, cents = f"{abs(amount):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{chr(0xA0).join(groups)},{cents}"


def vat_percent_label(rate: Decimal) -> str:
    """0.230 → "23 %", 0.085 → "8,5 %" (a percentage, as on a Polish invoice)."""
    percent = (Decimal(rate) * 100).normalize()
    text = f"{percent:f}"
    if get_language() and get_language().startswith("pl"):
        text = text.replace(".", ",")
    return f"{text}\u00a0%"


def statement_csv(statement: Statement) -> str:
    """The statement as CSV: one row per line, then net, VAT and gross.

    Headers and the totals' descriptions are in the active language (Polish by default, English for
    an English user); the ``code`` column and the numbers stay machine-readable (decimal point,
    UTF-8), so a spreadsheet or an import reads them the same in both languages.
    """
    buffer = io.StringIO()
    writer = csv_export.writer(buffer)
    writer.writerow([_("Organization"), _("Tax ID (NIP)"), _("Month"), _("Code"), _("Description"), _("Quantity"),
                     _("Unit"), _("Unit price, net"), _("Net"), _("Currency")])
    org = statement.organization
    month = f"{statement.month:%Y-%m}"
    for line in statement.lines:
        writer.writerow([org.name, org.tax_id, month, line["code"], line["description"], line["quantity"],
                         line["unit"], line["unit_price"], line["net"], statement.currency])
    totals = (("net", _("Total net"), statement.net),
              ("vat", _("VAT %(rate)s") % {"rate": vat_percent_label(statement.vat_rate)}, statement.vat),
              ("gross", _("Total gross"), statement.gross))
    for code, label, value in totals:
        writer.writerow([org.name, org.tax_id, month, code, label, "", "", "", f"{value:.2f}", statement.currency])
    return buffer.getvalue()


def accounting_csv(*, tenant: Tenant, month: date) -> str:
    """One row per billable entry of the month: what accounting needs to invoice the time."""
    buffer = io.StringIO()
    writer = csv_export.writer(buffer)
    writer.writerow(["organization", "tax_id", "ticket", "agent", "date", "kind", "actual_minutes", "billed_minutes",
                     "billable_minutes", "after_hours", "emergency", "rate_net", "net"])
    zone = tenant.time_zone
    from zoneinfo import ZoneInfo

    for entry in time_entries_for_month(tenant=tenant, month=month.replace(day=1)).filter(overage_minutes__gt=0):
        agent = entry.agent.user.get_full_name() or entry.agent.user.username if entry.agent else ""
        writer.writerow([entry.organization.name, entry.organization.tax_id, entry.ticket.reference, agent,
                         entry.started_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"), entry.kind,
                         entry.minutes, entry.billed_minutes, entry.overage_minutes,
                         int(entry.after_hours), int(entry.emergency),
                         f"{entry.rate_net:.2f}" if entry.rate_net is not None else "", f"{entry.amount_net:.2f}"])
    return buffer.getvalue()


def _fonts() -> tuple[str, str]:
    """DejaVu for Polish letters; without it the built-in Helvetica (no ą, ę, ł…), logged loudly."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return "DejaVuSans", "DejaVuSans-Bold"
    if FONT_PATH.exists() and FONT_BOLD_PATH.exists():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_PATH)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONT_BOLD_PATH)))
        return "DejaVuSans", "DejaVuSans-Bold"
    log.warning("%s not found (Debian package fonts-dejavu-core): the PDF uses Helvetica and loses Polish "
                "letters", FONT_PATH)
    return "Helvetica", "Helvetica-Bold"


@dataclass(frozen=True)
class Party:
    name: str
    tax_id: str
    address: str
    email: str = ""


def statement_parties(statement: Statement) -> tuple[Party, Party]:
    """Seller (the vendor's ``BillingParty`` without an organization) and buyer of a statement."""
    return statement_parties_for(statement.tenant, statement.organization)


def statement_parties_for(tenant: Tenant, org: Organization) -> tuple[Party, Party]:
    """Seller and buyer of the documents sent to ``org`` (statements, quotes)."""
    rows = {row.organization_id: row for row in BillingParty.objects.for_tenant(tenant)
            .filter(Q(organization__isnull=True) | Q(organization=org))}
    seller_row, buyer_row = rows.get(None), rows.get(org.pk)
    seller = Party(name=(seller_row.legal_name if seller_row and seller_row.legal_name else tenant.name),
                   tax_id=seller_row.tax_id if seller_row else "", address=seller_row.address if seller_row else "",
                   email=tenant.support_email or "")
    buyer = Party(name=(buyer_row.legal_name if buyer_row and buyer_row.legal_name else org.name),
                  tax_id=(buyer_row.tax_id if buyer_row and buyer_row.tax_id else org.tax_id),
                  address=buyer_row.address if buyer_row else "")
    return seller, buyer


def pdf_escape(text: str) -> str:
    """Text for a reportlab ``Paragraph``, whose markup is a small XML."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def party_rows(seller: Party, buyer: Party, labels: tuple[str, str, str], *, small, head, base) -> list[list]:
    """The seller and buyer side by side (label, name, tax id, address): rows of a PDF table.
    ``labels``: the seller's, the buyer's and the tax id's, in the document's language."""
    from reportlab.platypus import Paragraph

    esc = pdf_escape
    seller_label, buyer_label, tax_label = labels
    return [
        [Paragraph(esc(seller_label), small), Paragraph(esc(buyer_label), small)],
        [Paragraph(esc(seller.name), head), Paragraph(esc(buyer.name), head)],
        [Paragraph(f"{esc(tax_label)}: {esc(seller.tax_id or '—')}", base),
         Paragraph(f"{esc(tax_label)}: {esc(buyer.tax_id or '—')}", base)],
        [Paragraph(esc(seller.address).replace("\n", "<br/>") or "—", base),
         Paragraph(esc(buyer.address).replace("\n", "<br/>") or "—", base)],
    ]


def statement_pdf(statement: Statement) -> bytes:
    """The statement as a one-page-per-screenful A4 PDF in Polish."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    tenant, org = statement.tenant, statement.organization
    base = ParagraphStyle("base", fontName=regular, fontSize=9.5, leading=12)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#555555"))
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=20)
    head = ParagraphStyle("head", parent=base, fontName=bold)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    right_bold = ParagraphStyle("right_bold", parent=right, fontName=bold)
    esc = pdf_escape
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"Zestawienie {statement.month:%Y-%m} — {org.name}",
                            author=tenant.name)
    avail = doc.width - 12  # the frame's 6 pt padding on each side
    story = []
    month = _month_label(statement.month)
    seller, buyer = statement_parties(statement)
    parties = Table([
        *party_rows(seller, buyer, ("Sprzedawca", "Nabywca", "NIP"), small=small, head=head, base=base),
        [Paragraph(esc(seller.email), base), Paragraph("", base)],
    ], colWidths=[avail / 2, avail / 2])
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story += [Paragraph("Zestawienie miesięczne usług wsparcia", title),
              Paragraph(f"Okres rozliczeniowy: {month} ({_fmt_date(statement.month)} – "
                        f"{_fmt_date(last_of_month(statement.month))})", base),
              Paragraph(f"Wygenerowano: {timezone.localtime(statement.generated_at):%d.%m.%Y %H:%M}", small),
              Spacer(1, 6 * mm), parties, Spacer(1, 8 * mm)]

    rows = [[Paragraph("Lp.", head), Paragraph("Opis", head), Paragraph("Ilość", right_bold),
             Paragraph("J.m.", head), Paragraph("Cena netto", right_bold), Paragraph("Wartość netto", right_bold)]]
    for number, line in enumerate(statement.lines, start=1):
        quantity = Decimal(line["quantity"])
        quantity_text = f"{quantity.normalize():f}".replace(".", ",") if quantity == quantity.to_integral() \
            else _money_pl(quantity)
        rows.append([Paragraph(str(number), base), Paragraph(esc(line["description"]), base),
                     Paragraph(quantity_text, right), Paragraph(esc(line["unit"]), base),
                     Paragraph(_money_pl(line["unit_price"]), right), Paragraph(_money_pl(line["net"]), right)])
    if not statement.lines:
        rows.append(["", Paragraph("Brak pozycji do rozliczenia w tym okresie.", base), "", "", "", ""])
    fixed = [12 * mm, 16 * mm, 14 * mm, 25 * mm, 27 * mm]
    widths = fixed[:1] + [avail - sum(fixed)] + fixed[1:]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#33475b")),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#c5ccd3")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
    ]))
    story += [table, Spacer(1, 6 * mm)]

    currency = statement.currency
    totals = Table([
        [Paragraph("Razem netto", right), Paragraph(f"{_money_pl(statement.net)} {currency}", right)],
        [Paragraph(f"VAT {vat_percent_label(statement.vat_rate)}", right),
         Paragraph(f"{_money_pl(statement.vat)} {currency}", right)],
        [Paragraph("Do zapłaty brutto", right_bold), Paragraph(f"{_money_pl(statement.gross)} {currency}", right_bold)],
    ], colWidths=[avail - 50 * mm, 50 * mm])
    totals.setStyle(TableStyle([("LINEABOVE", (0, 2), (-1, 2), 0.8, colors.HexColor("#33475b")),
                                ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    story += [totals, Spacer(1, 10 * mm),
              Paragraph("Zestawienie nie jest fakturą VAT. Kwoty w złotych, VAT naliczony od sumy wartości netto.",
                        small)]
    doc.build(story)
    return buffer.getvalue()
