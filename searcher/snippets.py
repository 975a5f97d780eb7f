"""Highlighted snippets: HTML-escaped article text with matches in <mark>."""

from __future__ import annotations

from html import escape

from whoosh import highlight

SNIPPET_CHARS = 200
MAX_FRAGMENTS = 3


class MarkFormatter(highlight.Formatter):
    """Escape the text; wrap each matched token (original form) in <mark>."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment, replace=False):
        output = []
        index = fragment.startchar
        text = fragment.text
        for token in fragment.matches:
            if token.startchar < index:
                continue
            output.append(escape(text[index : token.startchar]))
            output.append(self.format_token(text, token, replace))
            index = token.endchar
        output.append(escape(text[index : fragment.endchar]))
        return "".join(output).strip()


def make_highlighter() -> highlight.Highlighter:
    return highlight.Highlighter(
        fragmenter=highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=80),
        scorer=highlight.BasicFragmentScorer(),
        formatter=MarkFormatter(),
        order=highlight.SCORE,
    )


def leading_text(body: str, chars: int = SNIPPET_CHARS) -> str:
    """The start of an article, cut at a word boundary and escaped."""
    if len(body) <= chars:
        return escape(body)
    return escape(body[:chars].rsplit(" ", 1)[0]) + " …"
