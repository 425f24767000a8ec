"""Reading an RFC 5322 message into plain values: sender, threading headers, text, HTML, files.

Pure: no database, no clock. Mail from real clients is often malformed (wrong or missing charsets,
Outlook's RFC 2047 file names, truncated MIME); everything here degrades to a best effort and only
a message with no usable sender is refused (``ParseError``), so that it can be quarantined.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from html import unescape
from html.parser import HTMLParser

import nh3

from tickets.text import clean_text

# Polish mail arrives in these when the declared charset is missing or wrong.
FALLBACK_CHARSETS = ("utf-8", "cp1250", "iso-8859-2")
CHARSET_ALIASES = {"windows-1250": "cp1250", "x-cp1250": "cp1250", "iso8859-2": "iso-8859-2",
                   "latin2": "iso-8859-2", "unicode-1-1-utf-8": "utf-8", "utf8": "utf-8"}

MESSAGE_ID_RE = re.compile(r"<([^<>\s]+)>")
TOKEN_RE = re.compile(r"\[([A-Z][A-Z0-9]{1,9})-(\d{1,9})\]")

# Out-of-office and auto-answer subjects (Polish and English clients, Outlook, Gmail, Thunderbird). A subject
# alone never discards a message: real requests say "nieobecności" and "urlop" too. It only names the
# reason when a header already says the message is automatic, and flags it for an agent otherwise.
AUTO_SUBJECT_RE = re.compile(
    r"^\s*(?:(?:re|odp|aw|fw|fwd)\s*:\s*)*(?:"
    r"odpowied[źz]\s+automatyczna|automatyczna\s+odpowied[źz]|nieobecno[śs][ćc]|jestem\s+nieobecn|"
    r"poza\s+biurem|urlop\b|out\s+of\s+(?:the\s+)?office|automatic\s+reply|auto(?:matic)?[\s-]*reply|"
    r"autoreply|auto-response|autosvar|abwesenheit|vacation\s+(?:reply|message)|i\s+am\s+away|"
    r"i\s+am\s+out\s+of)", re.IGNORECASE)
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
# X-Auto-Response-Suppress values that Exchange puts on automatic answers.
SUPPRESS_AUTO = {"oof", "all", "autoreply"}
DAEMON_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mail\.daemon)@", re.IGNORECASE)

# Where the quoted original starts in a reply (Gmail, Outlook, Thunderbird, Apple Mail; PL and EN).
ATTRIBUTION_RES = [
    re.compile(r"^\s*(?:On|W dniu|Dnia)\s.+(?:wrote|napisał(?:\(a\)|a)?|pisze)\s*:\s*$", re.IGNORECASE),
    re.compile(r"^.{0,80}\d{1,2}:\d{2}.{0,120}(?:napisał(?:\(a\)|a)?|wrote)\s*:\s*$", re.IGNORECASE),
]
SEPARATOR_RES = [
    re.compile(r"^\s*-{2,}\s*(?:Original Message|Wiadomość oryginalna|Oryginalna wiadomość|"
               r"Ursprüngliche Nachricht)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
]
HEADER_FROM_RE = re.compile(r"^\s*\*?(?:From|Od)\s*:\*?\s.+$", re.IGNORECASE)
# Outlook's header block: "From:/Od:" must be followed by "Sent:/Wysłano:" to count.
OUTLOOK_SENT_RE = re.compile(r"^\s*\*?(?:Sent|Wysłano|Wysłane|Date|Data)\s*:", re.IGNORECASE)
# An inline forward: what follows is content the customer passes on, never a quote to hide.
FORWARD_MARKER_RE = re.compile(
    r"^\s*(?:-{2,}\s*(?:Forwarded message|Forwarded Message|Wiadomość przekazana(?: dalej)?|"
    r"Przekazana wiadomość|Przekazywana wiadomość|Treść przekazanej wiadomości)\s*-{2,}|"
    r"Begin forwarded message:|Początek przekazywanej wiadomości:|Początek przekazanej wiadomości:)\s*$",
    re.IGNORECASE)
FORWARD_SUBJECT_RE = re.compile(r"^\s*(?:fwd?|pd|wd|tr|wg)\s*:", re.IGNORECASE)


class ParseError(ValueError):
    """The message cannot be turned into a ticket message (kept in quarantine)."""


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    inline: bool = False
    content_id: str = ""


@dataclass
class ParsedEmail:
    message_id: str
    message_id_generated: bool
    subject: str
    from_email: str
    from_name: str
    reply_to: list[tuple[str, str]]
    to: list[str]
    cc: list[str]
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_reply_reason: str = ""
    # Looks automatic (subject, list headers) without the header evidence to discard it.
    auto_reply_hint: str = ""
    is_bounce: bool = False
    # Message-IDs of the message a delivery report is about (from its returned headers).
    bounce_original_ids: list[str] = field(default_factory=list)
    bounce_recipients: list[str] = field(default_factory=list)
    bounce_status: str = ""
    # One entry per recipient of the delivery report: addresses (final, original), action, status.
    bounce_reports: list["BounceRecipient"] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this one answers: In-Reply-To first, then References from the newest."""
        ids = list(self.in_reply_to) + list(reversed(self.references))
        return list(dict.fromkeys(i for i in ids if i))

    @property
    def display_text(self) -> str:
        return split_reply(self.text, forwarded=self.is_forward)[0]

    @property
    def is_forward(self) -> bool:
        return bool(FORWARD_SUBJECT_RE.match(self.subject or ""))

    @property
    def failed_recipients(self) -> set[str]:
        """Addresses the report says failed (final and original); all listed ones for an old-style report."""
        reports = self.bounce_reports
        if not reports:
            return set(self.bounce_recipients)
        failed = set()
        for report in reports:
            if report.failed:
                failed.update(a for a in (report.final, report.original) if a)
        return failed


@dataclass
class BounceRecipient:
    final: str
    original: str = ""
    action: str = ""
    status: str = ""

    @property
    def failed(self) -> bool:
        # RFC 3464: "failed"; no action with a permanent status (5.x.x) is a failure too.
        return self.action == "failed" or (not self.action and self.status.startswith("5"))


def hashed_message_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()}@hash.invalid>"


def message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    found = [f"<{m}>" for m in MESSAGE_ID_RE.findall(str(value))]
    if not found and str(value).strip() and " " not in str(value).strip():
        found = [f"<{str(value).strip().strip('<>')}>"]
    return [m[:255] for m in found]


def subject_tokens(subject: str) -> list[tuple[str, int]]:
    return [(prefix, int(number)) for prefix, number in TOKEN_RE.findall(subject or "")]


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # A header the parser cannot fold into its structure: read it raw.
        value = None
        for key, raw in msg.raw_items() if hasattr(msg, "raw_items") else []:
            if key.lower() == name.lower():
                value = raw
                break
    if value is None:
        return ""
    text = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):  # Raw 8-bit bytes in a header: guess the charset.
        text = _decode_bytes(text.encode("utf-8", "surrogateescape"), None)
    if "=?" in text:  # Encoded words a lenient parser left alone (e.g. inside quotes).
        try:
            text = str(make_header(decode_header(text)))
        except Exception:
            pass
    return clean_text(re.sub(r"\s+", " ", text)).strip()


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    raw = _header(msg, name)
    if not raw:
        return []
    pairs = [(n, a.strip().lower()) for n, a in getaddresses([raw]) if "@" in a]
    if not pairs:
        name_, addr = parseaddr(raw)
        if "@" in addr:
            pairs = [(name_, addr.strip().lower())]
    return pairs


def _decode_bytes(payload: bytes, charset: str | None) -> str:
    charset = (charset or "").strip().strip('"').lower()
    charset = CHARSET_ALIASES.get(charset, charset)
    tried = []
    if charset and charset not in ("us-ascii", "ascii"):
        tried.append(charset)
    for candidate in (*tried, *FALLBACK_CHARSETS):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


def _part_text(part: Message, defects: list[str]) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:
        defects.append(f"undecodable part: {exc}")
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    return _decode_bytes(payload, part.get_content_charset())


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        try:
            name = part.get_param("name")
        except Exception:
            name = None
        if isinstance(name, tuple):  # RFC 2231 triple
            from email.utils import collapse_rfc2231_value

            name = collapse_rfc2231_value(name)
    name = str(name or "")
    if "=?" in name:
        try:
            name = str(make_header(decode_header(name)))
        except Exception:
            pass
    return clean_filename(name)


def clean_filename(name: str) -> str:
    """A file name as sent, without path separators or control characters (it names one file, never a folder)."""
    name = clean_text(name).replace("\t", " ").replace("\r", "").replace("\n", " ")
    return re.sub(r"[/\\]+", "_", name).strip()


def _extension_for(content_type: str) -> str:
    import mimetypes

    return {"image/jpeg": ".jpg", "text/plain": ".txt", "message/rfc822": ".eml"}.get(
        content_type, mimetypes.guess_extension(content_type) or ".bin")


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw bytes. Raises ``ParseError`` when there is no sender to answer."""
    if not raw or not raw.strip():
        raise ParseError("empty message")
    try:
        msg = message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # The stdlib parser is lenient; this is a last resort.
        raise ParseError(f"unparseable message: {exc}") from exc
    defects = [type(d).__name__ for d in getattr(msg, "defects", [])]

    senders = _addresses(msg, "From") or _addresses(msg, "Sender") or _addresses(msg, "Return-Path")
    if not senders:
        raise ParseError("no sender address (From)")
    from_name, from_email = senders[0]

    declared_id = message_ids(_header(msg, "Message-ID"))
    message_id = declared_id[0] if declared_id else hashed_message_id(raw)

    parsed = ParsedEmail(
        message_id=message_id, message_id_generated=not declared_id,
        subject=_header(msg, "Subject"), from_email=from_email, from_name=from_name.strip()[:200],
        reply_to=[(n.strip()[:200], a) for n, a in _addresses(msg, "Reply-To")],
        to=[a for _n, a in _addresses(msg, "To")], cc=[a for _n, a in _addresses(msg, "Cc")],
        in_reply_to=message_ids(_header(msg, "In-Reply-To")), references=message_ids(_header(msg, "References")),
        text="", html="", defects=defects,
    )
    _walk(msg, parsed)
    parsed.auto_reply_reason = auto_reply_reason(msg, parsed)
    if not parsed.auto_reply_reason:
        parsed.auto_reply_hint = auto_reply_hint(msg, parsed)
    return parsed


def _walk(msg: Message, parsed: ParsedEmail) -> None:
    texts: list[str] = []
    htmls: list[str] = []
    content_type = msg.get_content_type()
    if content_type == "multipart/report" and (msg.get_param("report-type") or "").lower() == "delivery-status":
        parsed.is_bounce = True

    def visit(part: Message, in_alternative: bool = False) -> None:
        ctype = part.get_content_type()
        if part.is_multipart():
            children = part.get_payload() if isinstance(part.get_payload(), list) else []
            if ctype == "message/rfc822":
                # A forwarded message: keep it whole as a file, readable and re-importable.
                inner = children[0] if children else None
                if parsed.is_bounce and inner is not None:
                    parsed.bounce_original_ids.extend(message_ids(_header(inner, "Message-ID")))
                    return
                data = inner.as_bytes(policy=policy.default.clone(linesep="\r\n")) if inner is not None else b""
                if data:
                    # The part's own name (Content-Disposition / Content-Type), never the inner subject.
                    filename = _filename(part) or "message.eml"
                    if not filename.lower().endswith(".eml"):
                        filename += ".eml"
                    parsed.attachments.append(ParsedAttachment(filename=filename, content_type="message/rfc822",
                                                               content=data))
                return
            if parsed.is_bounce and ctype == "message/delivery-status":
                _read_dsn(part, parsed)
                return
            alternative = ctype == "multipart/alternative"
            for child in children:
                visit(child, alternative)
            return
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if ctype == "message/delivery-status" or ctype == "text/rfc822-headers":
            if parsed.is_bounce:
                _read_returned(part, parsed, ctype)
            return
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            (texts if ctype == "text/plain" else htmls).append(_part_text(part, parsed.defects))
            return
        try:
            content = part.get_payload(decode=True) or b""
        except Exception as exc:
            parsed.defects.append(f"undecodable attachment: {exc}")
            content = b""
        content_id = _header(part, "Content-ID").strip("<> ")
        inline = disposition == "inline" or (bool(content_id) and disposition != "attachment")
        if not filename:
            filename = (content_id.split("@")[0] if content_id else "zalacznik") + _extension_for(ctype)
        parsed.attachments.append(ParsedAttachment(filename=filename, content_type=ctype, content=content,
                                                   inline=inline and ctype.startswith("image/"),
                                                   content_id=content_id))

    visit(msg)
    plain = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    html = "\n".join(h for h in htmls if h.strip())
    parsed.html = clean_text(sanitize_html(html)) if html else ""
    text = normalise_text(plain) if plain.strip() else normalise_text(html_to_text(html)) if html else ""
    parsed.text = clean_text(text)


def _dsn_address(value) -> str:
    return str(value or "").split(";")[-1].strip().strip("<>").lower()


def _read_dsn_block(fields: dict[str, str], parsed: ParsedEmail) -> None:
    final = _dsn_address(fields.get("final-recipient"))
    original = _dsn_address(fields.get("original-recipient"))
    if not (final or original):
        return  # the per-message block (Reporting-MTA, Arrival-Date)
    status = (fields.get("status") or "").split()
    report = BounceRecipient(final=final or original, original=original,
                             action=(fields.get("action") or "").strip().lower(), status=status[0] if status else "")
    parsed.bounce_reports.append(report)
    parsed.bounce_recipients.append(report.final)
    if report.status and (not parsed.bounce_status or report.failed and not parsed.bounce_status.startswith("5")):
        parsed.bounce_status = report.status


def _read_dsn(part: Message, parsed: ParsedEmail) -> None:
    children = part.get_payload() if isinstance(part.get_payload(), list) else []
    for block in children:
        _read_dsn_block({k.lower(): str(v) for k, v in block.items()}, parsed)


def _read_returned(part: Message, parsed: ParsedEmail, ctype: str) -> None:
    text = _part_text(part, parsed.defects)
    if ctype == "message/delivery-status":
        for block in re.split(r"\r?\n\s*\r?\n", text):
            fields = {}
            for match in re.finditer(r"^([A-Za-z-]+):[ \t]*(.*)$", block, re.M):
                fields.setdefault(match.group(1).lower(), match.group(2).strip())
            _read_dsn_block(fields, parsed)
        return
    match = re.search(r"^Message-ID:\s*(<[^>]+>)", text, re.M | re.I)
    if match:
        parsed.bounce_original_ids.append(match.group(1)[:255])


def auto_reply_reason(msg: Message, parsed: ParsedEmail) -> str:
    """Why a message is machine-generated, from header evidence only (RFC 3834, RFC 2919, Exchange), or ''."""
    reason = ""
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    precedence = _header(msg, "Precedence").lower()
    suppress = {v.strip().lower() for v in _header(msg, "X-Auto-Response-Suppress").split(",") if v.strip()}
    if auto_submitted and auto_submitted != "no":
        reason = f"Auto-Submitted: {auto_submitted}"
    elif precedence in BULK_PRECEDENCE:
        reason = f"Precedence: {precedence}"
    elif _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond") or _header(msg, "X-Autoresponder"):
        reason = "X-Autoreply"
    elif suppress & SUPPRESS_AUTO:
        reason = "X-Auto-Response-Suppress: " + _header(msg, "X-Auto-Response-Suppress")
    elif _header(msg, "List-Id"):
        reason = "mailing list (List-Id)"
    elif DAEMON_SENDERS.match(parsed.from_email) and not parsed.is_bounce:
        reason = f"system sender: {parsed.from_email}"
    if reason and AUTO_SUBJECT_RE.search(parsed.subject or ""):
        reason += "; out-of-office subject"
    return reason


def auto_reply_hint(msg: Message, parsed: ParsedEmail) -> str:
    """What makes an ordinary-looking message look automatic; flagged for an agent, never discarded."""
    if AUTO_SUBJECT_RE.search(parsed.subject or ""):
        return "subject looks like an automatic reply"
    if _header(msg, "List-Unsubscribe"):
        return "List-Unsubscribe header"
    return ""


def is_bounce(parsed: ParsedEmail) -> bool:
    return parsed.is_bounce or bool(DAEMON_SENDERS.match(parsed.from_email))


# --- text and HTML -----------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "hr", "ul",
               "ol", "section", "article", "header", "footer", "dl", "dt", "dd", "address", "center"}
_SKIP_TAGS = {"script", "style", "head", "title"}
# Blocks set apart by an empty line; other blocks (a Gmail <div> per line, rows, items) only start a line.
_PARAGRAPH_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "ul", "ol", "dl"}
CELL_SEPARATOR = " | "


class _TextExtractor(HTMLParser):
    """Text of an HTML mail that keeps its structure: a table row is a line with its cells separated by
    " | ", a list item is a "- " line, a quoted (``<blockquote>``) line starts with "> "."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.skip = 0
        self.quote_depth = 0
        self.pre = 0
        self.cells_in_row: list[int] = []  # per open table: cells started in the current row

    def _break(self, paragraph: bool = False) -> None:
        text = "".join(self.line)
        self.line = []
        if text.strip():
            self.lines.append("> " * self.quote_depth + (text if self.pre else text.strip()))
        if paragraph and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "br":
            if not "".join(self.line).strip() and self.lines and self.lines[-1] != "":
                self.lines.append("")  # <br> on an empty line: an empty line
            self._break()
        elif tag == "table":
            self._break(paragraph=True)
            self.cells_in_row.append(0)
        elif tag == "tr":
            self._break()
            if self.cells_in_row:
                self.cells_in_row[-1] = 0
        elif tag in ("td", "th"):
            if self.cells_in_row:
                if self.cells_in_row[-1]:
                    self.line.append(CELL_SEPARATOR)
                self.cells_in_row[-1] += 1
        elif tag == "li":
            self._break()
            self.line.append("- ")
        elif tag in _BLOCK_TAGS:
            self._break(paragraph=tag in _PARAGRAPH_TAGS)
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "hr":
                self.lines.append("> " * self.quote_depth + "-" * 10)
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.line.append(f"[{alt}]")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag == "table":
            self._break(paragraph=True)
            if self.cells_in_row:
                self.cells_in_row.pop()
        elif tag in ("tr", "li"):
            self._break()
        elif tag in _BLOCK_TAGS:
            self._break(paragraph=tag in _PARAGRAPH_TAGS)
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data):
        if self.skip:
            return
        if self.pre:
            for index, piece in enumerate(data.split("\n")):
                if index:
                    self._break()
                self.line.append(piece)
            return
        data = re.sub(r"[ \t\r\n\xa0]+", " ", data)
        if self.line and self.line[-1].endswith((" ", CELL_SEPARATOR, "- ")):
            data = data.lstrip(" ")
        self.line.append(data)

    def text(self) -> str:
        self._break()
        return "\n".join(line.rstrip() for line in self.lines).strip("\n")


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:
        return unescape(re.sub(r"<[^>]+>", " ", html))
    return extractor.text()


def normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def sanitize_html(html: str) -> str:
    """HTML safe to show in the agent's browser: no scripts, styles, handlers or remote tricks."""
    return nh3.clean(html, url_schemes={"http", "https", "mailto", "cid"}, link_rel="noopener noreferrer nofollow",
                     strip_comments=True).strip()


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_at(lines: list[str], index: int) -> int:
    """How many lines the "X wrote:" line at ``index`` spans (clients wrap it in two), or 0."""
    line = lines[index]
    if any(pattern.match(line) for pattern in ATTRIBUTION_RES):
        return 1
    if index + 1 < len(lines) and line.strip() and not _is_quoted(line):
        joined = line.rstrip() + " " + lines[index + 1].strip()
        if any(pattern.match(joined) for pattern in ATTRIBUTION_RES):
            return 2
    return 0


def _header_block_at(lines: list[str], index: int) -> bool:
    """An Outlook-style start of the original: a separator line, or "From:" followed by "Sent:"."""
    line = lines[index]
    following = lines[index + 1:index + 4]
    if SEPARATOR_RES[0].match(line):
        return True
    if SEPARATOR_RES[1].match(line):
        return any(HEADER_FROM_RE.match(f) for f in following[:2])
    return bool(HEADER_FROM_RE.match(line)) and any(OUTLOOK_SENT_RE.match(f) for f in following)


def split_reply(text: str, *, forwarded: bool = False) -> tuple[str, str]:
    """``(new, quoted)``: a reply split before its trailing quote block; ``new + quoted`` is the whole text.

    Only a block that runs to the end is quoted history: an "X wrote:" line followed by nothing but
    "> " lines, an Outlook header block ("Od:/Wysłano:") with the original under it, or "> " lines
    at the very end. Answers written between quoted lines are new text, quotes included, and so is
    an inline forward (its header block is what the customer passes on, not a quote). When nothing
    would be left the whole text is new.
    """
    text = text or ""
    lines = text.split("\n")
    cut = len(lines)
    in_forward = forwarded  # below a forward marker a header block is forwarded content, not a quote
    for index in range(len(lines)):
        line = lines[index]
        if _is_quoted(line):
            continue
        if FORWARD_MARKER_RE.match(line):
            in_forward = True
            continue
        span = _attribution_at(lines, index)
        if span and all(_is_quoted(rest) or not rest.strip() for rest in lines[index + span:]):
            cut = index
            break
        if not in_forward and _header_block_at(lines, index):
            cut = index
            break
    kept = lines[:cut]
    while kept and (_is_quoted(kept[-1]) or not kept[-1].strip()):
        kept.pop()
    if not "\n".join(kept).strip():
        return text.strip(), ""
    new = "\n".join(kept)
    return new.strip(), text[len(new):].strip("\n")


def strip_quoted(text: str) -> str:
    """The new part of a reply (see ``split_reply``)."""
    return split_reply(text)[0]
