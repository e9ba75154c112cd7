"""Bytes to a safe XML element tree, for ADF: lenient about form (processing instructions,
BOMs, Latin-1 bytes, stray ``&``, upper-case tags), strict about safety (no DTDs, no entities, no
external references, bounded size and shape)."""

from __future__ import annotations

import codecs
import html.entities
import re
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml
import defusedxml.ElementTree as DET

from leads.intake.parsers import PayloadError

MAX_ELEMENTS = 5_000
MAX_DEPTH = 50

_XML_DECL = re.compile(rb"""<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.I)
# Anything xml-declaration-like anywhere near the top: after we decode to str, a declaration is at
# best redundant and at worst wrong (it names the bytes' encoding, not the str's), and vendors put
# it after their <?adf?> PI or after whitespace, both fatal to expat. So it goes.
_XML_DECL_TEXT = re.compile(r"<\?xml\s[^>]*?\?>", re.I)
_PROLOG_JUNK = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->)*", re.S)
# Only the first few KB are searched for a declaration: it belongs at the top, and bounding the
# window keeps a body full of unterminated "<?xml " from making the regex quadratic.
_PROLOG_WINDOW = 4096
_AMP = re.compile(r"&(#[0-9]+;|#[xX][0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)?")
_XML_ENTITIES = frozenset({"amp;", "lt;", "gt;", "quot;", "apos;"})
_DOCTYPE = re.compile(r"<!(DOCTYPE|ENTITY)\b", re.I)


def xml_root(body: bytes) -> Element:
    """The document's root element; PayloadError for anything unsafe or unreadable."""
    return _parse_xml(_repair(_decode(body)))


def _decode(body: bytes) -> str:
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    elif body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return body.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise PayloadError(
                f"ADF body has a UTF-16 byte-order mark but is not UTF-16: {exc.reason}"
            ) from exc
    declared = _declared_encoding(body)
    # Portals that declare ISO-8859-1 mostly mean Windows-1252 (the euro sign is 0x80), and
    # portals that declare UTF-8 sometimes send Latin-1 anyway: try what they say, then UTF-8,
    # then cp1252, and finally latin-1, which decodes any byte string.
    candidates = [declared] if declared else []
    candidates += ["utf-8", "cp1252", "latin-1"]
    for encoding in candidates:
        try:
            return body.decode(encoding)
        # ValueError, not just UnicodeDecodeError: a declared "idna" or "punycode" fails with
        # plain UnicodeError, and LookupError covers bytes-to-bytes codecs such as "base64".
        except (ValueError, LookupError):
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def _declared_encoding(body: bytes) -> str | None:
    match = _XML_DECL.search(body[:_PROLOG_WINDOW])
    if not match:
        return None
    name = match.group(1).decode("ascii").lower()
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    # Strict latin-1 would turn 0x80 into a C1 control instead of the euro sign the sender meant.
    if codec in ("latin-1", "iso8859-1"):
        return "cp1252"
    # A declared UTF-16 on bytes that had no BOM is almost surely a lie told by a template.
    if codec.startswith("utf-16") or codec.startswith("utf-32"):
        return None
    return codec


def _repair(text: str) -> str:
    text = text.lstrip("\ufeff \t\r\n")
    decl = _XML_DECL_TEXT.search(text, 0, _PROLOG_WINDOW)
    if decl and _PROLOG_JUNK.fullmatch(text, 0, decl.start()):
        text = (text[: decl.start()] + text[decl.end() :]).lstrip()
    parts = _split_opaque(text)
    for i in range(0, len(parts), 2):
        if _DOCTYPE.search(parts[i]):
            raise PayloadError("ADF body contains a DTD or entity declaration, which is refused")
        parts[i] = _AMP.sub(_fix_ampersand, parts[i])
    return "".join(parts)


def _split_opaque(text: str) -> list[str]:
    """Split into [markup, opaque, markup, opaque, …, markup]; opaque = CDATA and comments.

    Opaque parts are copied verbatim by the ampersand repair: inside them a bare "&" is legal and
    escaping it would change the text. A hand-rolled linear scan rather than a lazy regex, which
    goes quadratic on a body made of many unterminated CDATA sections.
    """
    markers = (("<![CDATA[", "]]>"), ("<!--", "-->"))
    next_at = [text.find(start) for start, _ in markers]
    parts: list[str] = []
    pos = 0
    while True:
        for k, (start, _) in enumerate(markers):
            # Re-search only a marker whose cached hit has been consumed: keeps the scan linear.
            if 0 <= next_at[k] < pos:
                next_at[k] = text.find(start, pos)
        live = [(at, k) for k, at in enumerate(next_at) if at != -1]
        if not live:
            parts.append(text[pos:])
            return parts
        begin, k = min(live)
        start, terminator = markers[k]
        stop = text.find(terminator, begin + len(start))
        stop = len(text) if stop == -1 else stop + len(terminator)
        parts += [text[pos:begin], text[begin:stop]]
        pos = stop


def _fix_ampersand(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref is None:
        return "&amp;"
    if ref.startswith("#") or ref in _XML_ENTITIES:
        return match.group(0)
    # HTML named entities (&uuml;, &nbsp;) are common in German portal text and unknown to XML;
    # turn them into character references. Anything else was a literal "&" all along.
    char = html.entities.html5.get(ref)
    if char is not None:
        return "".join(f"&#{ord(c)};" for c in char)
    return "&amp;" + ref


class _BoundedBuilder(TreeBuilder):
    """Counts and depth-limits elements while the tree is built, and folds tag/attribute case.

    Checking during the parse (not afterwards) is what keeps a hostile document from ever being
    fully materialised.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self.count += 1
        self.depth += 1
        if self.count > MAX_ELEMENTS:
            raise PayloadError(f"ADF document has more than {MAX_ELEMENTS} elements")
        if self.depth > MAX_DEPTH:
            raise PayloadError(f"ADF document is nested deeper than {MAX_DEPTH} levels")
        return super().start(_local(tag), {_local(k): v for k, v in attrs.items()})

    def end(self, tag: str) -> Element:
        self.depth -= 1
        return super().end(_local(tag))


def _local(name: str) -> str:
    # Drop any namespace: some vendors put an xmlns on <adf>, which the spec never had.
    return name.rsplit("}", 1)[-1].lower()


def _parse_xml(text: str) -> Element:
    builder = _BoundedBuilder()
    parser = DET.DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(text)
        root = parser.close()
    except PayloadError:
        raise
    except defusedxml.DTDForbidden as exc:
        raise PayloadError("ADF body contains a DTD, which is refused") from exc
    except defusedxml.EntitiesForbidden as exc:
        raise PayloadError("ADF body declares XML entities, which is refused") from exc
    except defusedxml.ExternalReferenceForbidden as exc:
        raise PayloadError("ADF body references an external resource, which is refused") from exc
    except defusedxml.DefusedXmlException as exc:
        raise PayloadError(f"ADF body uses a refused XML feature: {exc}") from exc
    except ParseError as exc:
        raise PayloadError(f"ADF body is not well-formed XML: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"ADF body cannot be parsed as XML: {exc}") from exc
    if not isinstance(root, Element):  # pragma: no cover - close() always returns the root
        raise PayloadError("ADF body has no root element")
    return root
