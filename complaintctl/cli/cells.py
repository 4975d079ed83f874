"""Text laid out in terminal cells: a Chinese character takes two, and lines break where a reader expects.

Latin words break at spaces only; Chinese may break between any two characters, except that a line
never starts with closing punctuation (，。）》…) nor ends with opening punctuation (（《“…), as Chinese
typesetting asks (禁则). Stdlib only: help and plain lines are printed without loading rich.
"""

from __future__ import annotations

import unicodedata

CLOSING = set("，。、；：！？）》」』”’〉】〕…·%,.;:!?)]}")
OPENING = set("（《「『“‘〈【〔([{")


def char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    """Cells of the widest line of `text`."""
    return max((sum(char_width(ch) for ch in line) for line in text.split("\n")), default=0)


def _wide(ch: str) -> bool:
    return char_width(ch) == 2


def _tokens(paragraph: str) -> list[tuple[str, str]]:
    """(unbreakable piece, the spaces typed before it): a Latin word, or one Chinese character with the
    punctuation that must stay beside it. Spaces are kept as typed where the line does not break."""
    pieces: list[tuple[str, str]] = []
    space = ""
    glue_next = False
    for ch in paragraph:
        if ch in " \t":
            space += ch
            glue_next = False
            continue
        if pieces and not space and (ch in CLOSING or glue_next or not (_wide(ch) or _wide(pieces[-1][0][-1]))):
            pieces[-1] = (pieces[-1][0] + ch, pieces[-1][1])
        else:
            pieces.append((ch, space))
        glue_next = ch in OPENING
        space = ""
    return pieces


def wrap(text: str, cells: int, first: str = "", rest: str = "") -> list[str]:
    """`text` as lines of at most `cells` cells, the first starting with `first`, the others with `rest`.

    Newlines in `text` are kept. A piece wider than a whole line is broken between characters.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = first if not lines else rest
        used, empty = width(line), True
        for piece, space in _tokens(paragraph):
            gap = "" if empty else space
            if used + width(gap) + width(piece) <= cells:
                line += gap + piece
                used += width(gap) + width(piece)
                empty = False
                continue
            if not empty:
                lines.append(line)
                line, used, empty = rest, width(rest), True
            for ch in piece:  # wider than a line: between characters, the last resort
                if used + char_width(ch) > cells and not empty:
                    lines.append(line)
                    line, used = rest, width(rest)
                line += ch
                used += char_width(ch)
                empty = False
        lines.append(line)
    return lines


def join_lines(text: str) -> str:
    """Lines of one paragraph joined for re-wrapping: with a space between Latin words, none between
    Chinese characters (a source line break is not a space in Chinese)."""
    out = ""
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if out and not (_wide(out[-1]) or _wide(line[0])):
            out += " "
        out += line
    return out


def paragraphs(text: str, cells: int, indent: str = "") -> list[str]:
    """Help text re-wrapped paragraph by paragraph (blank lines between), each keeping its own extra
    indentation; a paragraph that starts with a line holding only \\b is kept as written (Click's rule)."""
    out: list[str] = []
    for block in text.expandtabs().split("\n\n"):
        rows = block.split("\n")
        while rows and not rows[0].strip():
            rows.pop(0)
        if not rows:
            continue
        if out:
            out.append("")
        if rows[0].strip() == "\b":
            out.extend(indent + row for row in rows[1:])
            continue
        extra = " " * (len(rows[0]) - len(rows[0].lstrip()))
        out.extend(wrap(join_lines("\n".join(rows)), cells, indent + extra, indent + extra))
    return out


def first_sentence(text: str, cells: int) -> str:
    """A command's one line in a command list: its first sentence, cut with … where it would not fit."""
    paragraph = join_lines(text.split("\n\n")[0])
    for end in ("。", ". "):
        if end in paragraph:
            paragraph = paragraph[: paragraph.index(end) + len(end)].rstrip()
    if width(paragraph) <= cells:
        return paragraph
    return wrap(paragraph, cells - 1)[0].rstrip(" ,，;；:：") + "…"
