"""The web chat (Gradio): ``python app.py`` or ``qa serve``.

``service`` answers and adds articles with no Gradio in it; ``render`` turns an answer into
escaped Markdown; ``uploads`` checks and stores uploaded files; ``app`` lays out the tabs
and serves them. Gradio is imported only when the app is built or served.
"""
from .app import DEFAULT_HOST, add_arguments, auth_from_env, build_app, main, serve  # noqa: F401
from .render import escape_text, format_date, render_answer, safe_url  # noqa: F401
from .service import ChatService  # noqa: F401
from .uploads import MAX_UPLOAD_BYTES, UploadError, safe_filename, store_upload  # noqa: F401
