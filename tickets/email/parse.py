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

# Polish mail arrives in these when the declared charset is missing or wrong.
FALLBACK_CHARSETS = ("utf-8", "cp1250", "iso-8859-2")
CHARSET_ALIASES = {"windows-1250": "cp1250", "x-cp1250": "cp1250", "iso8859-2": "iso-8859-2",
                   "latin2": "iso-8859-2", "unicode-1-1-utf-8": "utf-8", "utf8": "utf-8"}

MESSAGE_ID_RE = re.compile(r"<([^<>\s]+)>")
TOKEN_RE = re.compile(r"\[([A-Z][A-Z0-9]{1,9})-(\d{1,9})\]")

# Out-of-office and auto-answer subjects (Polish and English clients, Outlook, Gmail, Thunderbird).
AUTO_SUBJECT_RE = re.compile(
    r"^\s*(?:(?:re|odp|aw|fw|fwd)\s*:\s*)*(?:"
    r"odpowied[źz]\s+automatyczna|automatyczna\s+odpowied[źz]|nieobecno[śs][ćc]|jestem\s+nieobecn|"
    r"poza\s+biurem|urlop\b|out\s+of\s+(?:the\s+)?office|automatic\s+reply|auto(?:matic)?[\s-]*reply|"
    r"autoreply|auto-response|autosvar|abwesenheit|vacation\s+(?:reply|message)|i\s+am\s+away|"
    r"i\s+am\s+out\s+of)", re.IGNORECASE)
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
DAEMON_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mail\.daemon)@", re.IGNORECASE)

# Where the quoted original starts in a reply (Gmail, Outlook, Thunderbird, Apple Mail; PL and EN).
QUOTE_HEADERS = [
    re.compile(r"^\s*(?:On|W dniu)\s.+(?:wrote|napisał(?:\(a\)|a)?|pisze)\s*:\s*$", re.IGNORECASE),
    re.compile(r"^.{0,80}\d{1,2}:\d{2}.{0,120}(?:napisał(?:\(a\)|a)?|wrote)\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(?:Original Message|Wiadomość oryginalna|Oryginalna wiadomość|"
               r"Ursprüngliche Nachricht)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*(?:From|Od)\s*:\s.+$"),
]
# Outlook's header block after a rule: "From:/Od:" must be followed by "Sent:/Wysłano:" to count.
OUTLOOK_SENT_RE = re.compile(r"^\s*(?:Sent|Wysłano|Wysłane|Date|Data)\s*:", re.IGNORECASE)


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
    to: list[str]
    cc: list[str]
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_reply_reason: str = ""
    is_bounce: bool = False
    # Message-IDs of the message a delivery report is about (from its returned headers).
    bounce_original_ids: list[str] = field(default_factory=list)
    bounce_recipients: list[str] = field(default_factory=list)
    bounce_status: str = ""
    defects: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this one answers: In-Reply-To first, then References from the newest."""
        ids = list(self.in_reply_to) + list(reversed(self.references))
        return list(dict.fromkeys(i for i in ids if i))

    @property
    def display_text(self) -> str:
        return strip_quoted(self.text)


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
    if "=?" in text:  # Encoded words a lenient parser left alone (e.g. inside quotes).
        try:
            text = str(make_header(decode_header(text)))
        except Exception:
            pass
    return re.sub(r"\s+", " ", text).strip()


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
    return name.strip()


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
        subject=_header(msg, "Subject")[:250], from_email=from_email, from_name=from_name.strip()[:200],
        to=[a for _n, a in _addresses(msg, "To")], cc=[a for _n, a in _addresses(msg, "Cc")],
        in_reply_to=message_ids(_header(msg, "In-Reply-To")), references=message_ids(_header(msg, "References")),
        text="", html="", defects=defects,
    )
    _walk(msg, parsed)
    parsed.auto_reply_reason = auto_reply_reason(msg, parsed)
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
                    subject = _header(inner, "Subject") or "wiadomosc"
                    parsed.attachments.append(ParsedAttachment(filename=f"{subject[:80]}.eml",
                                                               content_type="message/rfc822", content=data))
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
    parsed.html = sanitize_html(html) if html else ""
    parsed.text = normalise_text(plain) if plain.strip() else normalise_text(html_to_text(html)) if html else ""


def _read_dsn(part: Message, parsed: ParsedEmail) -> None:
    children = part.get_payload() if isinstance(part.get_payload(), list) else []
    for block in children:
        recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
        if recipient:
            parsed.bounce_recipients.append(recipient.split(";")[-1].strip().lower())
        status = str(block.get("Status") or "")
        if status and not parsed.bounce_status:
            parsed.bounce_status = status.strip()


def _read_returned(part: Message, parsed: ParsedEmail, ctype: str) -> None:
    text = _part_text(part, parsed.defects)
    if ctype == "message/delivery-status":
        for match in re.finditer(r"^(?:Final|Original)-Recipient:\s*[^;]*;\s*(\S+)", text, re.M | re.I):
            parsed.bounce_recipients.append(match.group(1).lower())
        status = re.search(r"^Status:\s*(\S+)", text, re.M | re.I)
        if status and not parsed.bounce_status:
            parsed.bounce_status = status.group(1)
        return
    match = re.search(r"^Message-ID:\s*(<[^>]+>)", text, re.M | re.I)
    if match:
        parsed.bounce_original_ids.append(match.group(1)[:255])


def auto_reply_reason(msg: Message, parsed: ParsedEmail) -> str:
    """Why a message is machine-generated (RFC 3834 and what real autoresponders send), or ''."""
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response-Suppress"):
        value = _header(msg, name)
        if value and (name != "X-Auto-Response-Suppress" or "oof" in value.lower() and parsed.subject
                      and AUTO_SUBJECT_RE.search(parsed.subject)):
            return f"{name}: {value}"
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return "mailing list"
    if AUTO_SUBJECT_RE.search(parsed.subject or ""):
        return f"auto-reply subject: {parsed.subject}"
    if DAEMON_SENDERS.match(parsed.from_email) and not parsed.is_bounce:
        return f"system sender: {parsed.from_email}"
    return ""


def is_bounce(parsed: ParsedEmail) -> bool:
    return parsed.is_bounce or bool(DAEMON_SENDERS.match(parsed.from_email))


# --- text and HTML -----------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote",
               "pre", "hr", "ul", "ol", "section", "article", "header", "footer"}
_SKIP_TAGS = {"script", "style", "head", "title"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.quote_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")
            if tag == "blockquote":
                self.quote_depth += 1
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            self.parts.append("\n")

    def handle_data(self, data):
        if self.skip:
            return
        data = re.sub(r"[ \t\r\n\xa0]+", " ", data)
        if self.quote_depth and data.strip():
            data = "> " * self.quote_depth + data.lstrip()
        self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:
        return unescape(re.sub(r"<[^>]+>", " ", html))
    return "".join(extractor.parts)


def normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def sanitize_html(html: str) -> str:
    """HTML safe to show in the agent's browser: no scripts, styles, handlers or remote tricks."""
    return nh3.clean(html, url_schemes={"http", "https", "mailto", "cid"}, link_rel="noopener noreferrer nofollow",
                     strip_comments=True).strip()


def strip_quoted(text: str) -> str:
    """The new part of a reply: the quoted original and the client's "X wrote:" line removed.

    Falls back to the whole text when stripping would leave nothing.
    """
    lines = (text or "").split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        if any(pattern.match(line) for pattern in QUOTE_HEADERS[:4]):
            cut = index
            break
        if QUOTE_HEADERS[4].match(line) and any(OUTLOOK_SENT_RE.match(following)
                                                for following in lines[index + 1:index + 4]):
            cut = index
            break
    kept = lines[:cut]
    # Trailing "> quoted" lines (bottom or interleaved-at-end quoting).
    while kept and (kept[-1].startswith(">") or not kept[-1].strip()):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or (text or "").strip()
