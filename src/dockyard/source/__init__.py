"""Source stage: fetch a component's git repository and export one commit's tree.

``source_ref(kind, fields)`` maps a spec source to a ``SourceRef``; ``fetch`` updates the app's
bare mirror and returns the branch head; ``checkout`` exports that commit (no ``.git``) and
resolves ``source_dir`` inside it.
"""

from dockyard.source.git import SourceRef, fetch, mirror_path, remote_head, source_ref
from dockyard.source.tree import checkout, resolve_source_dir

__all__ = ["SourceRef", "checkout", "fetch", "mirror_path", "remote_head", "resolve_source_dir",
           "source_ref"]
