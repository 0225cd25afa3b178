"""The app's widgets."""

from reader.app.widgets.article_list import ArticleList, ListRow
from reader.app.widgets.side_panel import SidePanel

__all__ = ["ArticleList", "ListRow", "SidePanel"]
