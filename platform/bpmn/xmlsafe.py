"""Parse uploaded BPMN/DMN XML with entity expansion, DTDs and network access turned off."""

from lxml import etree

# The host sets this from its upload limit (definitions.apps); the engine knows no settings.
MAX_BYTES = 5 * 1024 * 1024


class UnsafeXmlError(ValueError):
    """The document is malformed, too large, or uses DTD/entity features we refuse."""


_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
)


def parse_xml(data: bytes | str, filename: str = "<upload>") -> etree._Element:
    """Return the root element, or raise UnsafeXmlError naming the file and line."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    limit = MAX_BYTES
    if len(data) > limit:
        raise UnsafeXmlError(f"{filename}: {len(data)} bytes is over the {limit}-byte limit")
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or "?"
        raise UnsafeXmlError(f"{filename}: malformed XML at line {line}: {exc.msg}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise UnsafeXmlError(f"{filename}: DOCTYPE declarations are not allowed (DTD/entities)")
    if _has_entity_nodes(root):
        raise UnsafeXmlError(f"{filename}: entity references are not allowed")
    return root


def _has_entity_nodes(root: etree._Element) -> bool:
    return any(isinstance(node, etree._Entity) for node in root.iter())
