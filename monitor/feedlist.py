"""The config file's ``[[feeds]]`` blocks, edited in place: the only module that imports tomlkit.

    config file | tomlkit.parse | add, remove, enable or disable blocks | text
                | tomllib: exactly these changes? | config.load on a copy | rename over

The file keeps every comment, blank line and key order it had; a new block goes after
the last one, with a comment saying where it came from, as the shipped blocks have. A
block's comment stands right above its ``[[feeds]]`` line, but tomlkit files it at the
end of whatever precedes (the previous block, the ``[health]`` table), and the comment of
the next block at the end of this one: so a block is removed together with the comment
lines directly above it, and the lines that stood below it move to stand above whatever
follows. After each change the text is parsed again, so the next change starts clean.

Nothing is written unless the new text means exactly the old data with these changes
(tomllib says so), the whole configuration still loads (``monitor.config.load`` on a
copy beside the file), and the file was not changed meanwhile; it is then replaced in
one rename, so a reader (the daemon) sees the old file or the new one, never half.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import AoT, Comment, Null, Table, Whitespace

from monitor.config import load
from monitor.errors import ConfigError, MonitorError
from monitor.feedplan import Block, one_line

_ORDER = ("name", "url", "language", "interval", "outlet", "enabled")


class FeedFile:
    """The config file, read to be edited: ``add``, ``remove``, ``set_enabled``, ``save``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.original = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MonitorError(f"{path}: cannot read: {exc}") from None
        try:
            self.doc = tomlkit.parse(self.original)
            self.expected = tomllib.loads(self.original)
        except Exception as exc:  # tomlkit raises many kinds; load() has read it already
            raise MonitorError(f"{path}: not valid TOML: {exc}") from None
        if self.doc.as_string() != self.original:
            # tomlkit would move blocks around: [[feeds]] blocks split by other tables.
            raise MonitorError(
                f"{path}: cannot edit its feeds without changing its layout",
                hint="keep the [[feeds]] blocks together, then try again",
            )
        self.broken = False  # an edit went wrong: save() refuses
        # Lines this code adds end in "\n"; a file that ends every line in "\r\n" keeps that.
        self.crlf = "\r\n" in self.original and "\n" not in self.original.replace("\r\n", "")
        if "feeds" in self.doc and not isinstance(self.doc["feeds"], AoT):
            raise MonitorError(
                f"{path}: feeds is not written as [[feeds]] blocks",
                hint="write each feed as a [[feeds]] block, then try again",
            )

    @property
    def _feeds(self) -> AoT | None:
        feeds = self.doc.get("feeds")
        return feeds if isinstance(feeds, AoT) else None

    def blocks(self) -> list[dict[str, Any]]:
        """Every block's keys as written (no defaults filled in), in file order."""
        return [dict(block) for block in self.expected.get("feeds", [])]

    def index(self, name: str) -> int:
        """The position of the block named ``name``; a ``MonitorError`` lists the names."""
        names = [str(block.get("name")) for block in self.expected.get("feeds", [])]
        if name in names:
            return names.index(name)
        listed = ", ".join(names) if names else "none"
        raise MonitorError(f"no feed named {name!r} in {self.path}; the feeds are: {listed}")

    def add(self, block: Block, comment: str | None = None) -> None:
        """Append a block after the last one, with ``comment`` on the line above it."""
        table = tomlkit.table()
        for key in _ORDER:
            if key in block:
                table.add(key, block[key])
        feeds = self._feeds
        below, following = "", None
        if feeds is not None and len(feeds):
            following = self._following(len(feeds) - 1)
            below = _cut_tail(feeds.body[-1].value)  # belongs to what follows, or the end
        before = self.doc.as_string().replace("\r\n", "\n")
        lead = f"# {one_line(comment)}\n" if comment else ""
        if before and not before.endswith("\n\n"):
            lead = "\n" + lead  # one blank line between blocks
        if before and not before.endswith("\n"):
            lead = "\n" + lead
        table.trivia.indent = lead
        if feeds is None or not len(feeds):
            feeds = tomlkit.aot()
            feeds.append(table)
            self.doc.append("feeds", feeds)
        else:
            feeds.append(table)
        _place(below, following, table.value)
        self.expected.setdefault("feeds", []).append(dict(block))
        self._reparse()

    def remove(self, name: str) -> None:
        """Remove the block named ``name`` and the comment lines right above it."""
        i = self.index(name)
        feeds = self._feeds
        assert feeds is not None
        container, end = self._above(i)
        following = self._following(i)
        for k in _lead(container, end):
            container.body[k] = (None, Null())  # how tomlkit itself removes an item
        below = _cut_tail(feeds.body[i].value)
        if len(feeds) == 1:
            self.doc.remove("feeds")
        else:
            feeds.pop(i)
        # What stood below the block now stands above what took its place.
        _place(below, following, container)
        del self.expected["feeds"][i]
        if not self.expected["feeds"]:
            del self.expected["feeds"]
        self._reparse()

    def set_enabled(self, name: str, enabled: bool) -> bool:
        """Set ``enabled`` in the block; False when it was so already (nothing changes)."""
        i = self.index(name)
        if self.expected["feeds"][i].get("enabled", True) is enabled:
            return False
        feeds = self._feeds
        assert feeds is not None
        table = feeds.body[i]
        if "enabled" in table:
            table["enabled"] = enabled  # in place: a comment after the value stays
        else:
            following = self._following(i)
            below = _cut_tail(table.value)
            table.add("enabled", enabled)
            _place(below, following, table.value)
        self.expected["feeds"][i]["enabled"] = enabled
        self._reparse()
        return True

    def text(self) -> str:
        return self.doc.as_string()

    def save(self) -> None:
        """Check the new text three ways, then replace the file with it in one rename."""
        text = self.doc.as_string()
        try:
            meaning = tomllib.loads(text)
        except Exception:  # any failure to read it back is the mismatch below
            meaning = None
        if self.broken or meaning != self.expected:
            raise MonitorError(
                f"{self.path}: could not edit the feeds keeping the file's layout;"
                " nothing was written",
                hint="edit the [[feeds]] blocks by hand, and report this file",
            )
        self._check(text)
        self._replace(text)

    def _check(self, text: str) -> None:
        """``config.load`` on a copy beside the file: relative paths mean the same there."""
        with _temporary(self.path.parent, self.path.name, text) as copy:
            try:
                load(copy)
            except ConfigError as exc:
                problems = [p.replace(str(copy), str(self.path)) for p in exc.problems]
                error = ConfigError(problems)
                error.hint = "nothing was written; correct the feed and try again"
                raise error from None

    def _replace(self, text: str) -> None:
        target = Path(os.path.realpath(self.path))  # a symlink stays a symlink
        with _temporary(target.parent, target.name, text) as fresh:
            shutil.copymode(target, fresh)
            try:
                current = target.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                current = None
            if current != self.original:
                raise MonitorError(
                    f"{self.path} was changed by someone else meanwhile; nothing was written",
                    hint="run the command again",
                )
            os.replace(fresh, target)

    def _reparse(self) -> None:
        """Start the next change from clean tomlkit items (the moved text is raw)."""
        text = self.doc.as_string()
        if not self.original.startswith(("\n", "\r\n")):
            text = text.lstrip("\r\n")  # a removed first block leaves no blank line on top
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        try:
            self.doc = tomlkit.parse(text)
        except Exception:  # an edit went wrong; save() refuses to write
            self.broken = True

    def _above(self, i: int) -> tuple[Container, int]:
        """The container whose items stand right above block ``i``, and where they end."""
        feeds = self._feeds
        assert feeds is not None
        if i > 0:
            container: Container = feeds.body[i - 1].value
            return container, len(container.body)
        container = self.doc
        end = next(k for k, (key, _) in enumerate(self.doc.body) if key == "feeds")
        while True:  # into the last table before, and its last sub-table
            k = end
            while k > 0 and container.body[k - 1][0] is None:
                k -= 1
            if k < end or k == 0:
                return container, end
            item = container.body[k - 1][1]
            if isinstance(item, Table):
                container = item.value
            elif isinstance(item, AoT) and item.body:
                container = item.body[-1].value
            else:
                return container, end
            end = len(container.body)

    def _following(self, i: int) -> Table | None:
        """The table whose header comes right after block ``i``: the next block, or the
        next table of the file; None at the end of the file."""
        feeds = self._feeds
        assert feeds is not None
        if i + 1 < len(feeds):
            return feeds.body[i + 1]
        start = next(k for k, (key, _) in enumerate(self.doc.body) if key == "feeds")
        for _key, item in self.doc.body[start + 1 :]:
            if isinstance(item, Table):
                return item
            if isinstance(item, AoT) and item.body:
                return item.body[0]
        return None


def _place(text: str, following: Table | None, fallback: Container) -> None:
    """Put ``text`` (comments, blank lines) above ``following``, or at the end of
    ``fallback`` when nothing follows."""
    if not text:
        return
    if following is not None:
        following.trivia.indent = text + following.trivia.indent
    else:
        fallback.add(Whitespace(text))


def _tail(container: Container) -> int:
    """Where the comments and blank lines after the container's last key begin."""
    k = len(container.body)
    while k > 0 and container.body[k - 1][0] is None:
        k -= 1
    return k


def _cut_tail(container: Container) -> str:
    """Take the comments and blank lines after the last key out; return them as text."""
    start = _tail(container)
    text = "".join(item.as_string() for _key, item in container.body[start:])
    del container.body[start:]  # keyless items only: the key index is untouched
    return text


def _lead(container: Container, end: int) -> list[int]:
    """The comment lines right above ``end``, and the blank lines above those."""
    body = container.body
    found: list[int] = []
    k = end
    for kinds in ((Comment, Null), (Whitespace, Null)):
        while k > 0 and body[k - 1][0] is None and isinstance(body[k - 1][1], kinds):
            k -= 1
            found.append(k)
    return found


class _temporary:
    """A file beside ``name`` in ``folder`` holding ``text``; gone afterwards unless renamed."""

    def __init__(self, folder: Path, name: str, text: str) -> None:
        self.folder, self.name, self.text = folder, name, text
        self.path = Path()

    def __enter__(self) -> Path:
        try:
            fd, path = tempfile.mkstemp(dir=self.folder, prefix=f".{self.name}.", suffix=".tmp")
            self.path = Path(path)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                out.write(self.text)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise MonitorError(f"cannot write beside {self.folder / self.name}: {exc}") from None
        return self.path

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)
