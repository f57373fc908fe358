"""The web chat (Gradio): ``python app.py`` or ``qa serve``.

Nothing heavy at import: Gradio is imported only when the app is built or served.
"""
from .app import (  # noqa: F401
    DEFAULT_HOST,
    MAX_UPLOAD_BYTES,
    ChatService,
    UploadError,
    add_arguments,
    auth_from_env,
    build_app,
    escape_text,
    format_date,
    main,
    render_answer,
    safe_filename,
    safe_url,
    serve,
    store_upload,
)
