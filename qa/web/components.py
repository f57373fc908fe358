"""Gradio components that keep the person asking on the text side: a question box that
refuses what is not text, and a chat that shows questions exactly as typed; and an upload
field that leaves nothing behind in Gradio's temporary folder.

Built by functions, so that Gradio is imported only when the page is built.
"""
from __future__ import annotations

import html

from ..errors import QuestionError
from .render import literal_markdown


def non_text_question(value) -> QuestionError:
    """The error the Python API raises for a question that is not text."""
    from ..answer.question import check_question

    try:
        check_question(value)
    except QuestionError as exc:
        return exc
    raise ValueError(f"{value!r} is text")  # pragma: no cover - callers pass non-text only


def question_box(**options):
    """A Textbox that refuses what is not text with the Python API's message. Gradio's own
    turns a number, a list or a dict from an API client into text (which would then be
    answered) and lets null through to fail inside the chat with an AttributeError."""
    import gradio as gr

    box = gr.Textbox(**options)

    def preprocess(payload):
        if not isinstance(payload, str):
            raise gr.Error(str(non_text_question(payload)), print_exception=False)
        return payload

    # Replaced on the instance, not in a subclass: Gradio writes a .pyi file beside the
    # module of every Component subclass it sees defined.
    box.preprocess = preprocess
    return box


def question_as_text_chatbot(**options):
    """A Chatbot that shows the asker's own messages as plain text. Gradio renders every
    message as Markdown with HTML, so a question holding ``<img src=http://...>`` would make
    the browser fetch that address; answers stay Markdown (they are escaped when built).
    The text goes to the page escaped and comes back unescaped, so the chat function sees
    the history exactly as typed."""
    import gradio as gr

    chatbot = gr.Chatbot(**options)
    to_page, from_page = chatbot.postprocess, chatbot.preprocess

    def postprocess(value):
        data = to_page(value)
        for message in data.root:
            if message.role == "user":
                for content in message.content:
                    if getattr(content, "type", None) == "text":
                        content.text = literal_markdown(content.text)
        return data

    def preprocess(payload):
        messages = from_page(payload)
        for message in messages:
            if message.get("role") == "user":
                for content in message.get("content") or []:
                    if isinstance(content, dict) and content.get("type") == "text":
                        content["text"] = html.unescape(content["text"])
        return messages

    chatbot.postprocess, chatbot.preprocess = postprocess, preprocess  # see question_box
    return chatbot


def article_files(**options):
    """A File input (``type="filepath"``) that hands over the uploaded files' paths as they
    are. Gradio's own also creates an empty temporary file in its upload folder for every
    file it hands over, and never deletes it: one empty file per upload, for good. The
    uploaded copies themselves are deleted once handled (``qa.web.uploads.delete_uploaded``)."""
    import gradio as gr
    from gradio_client import utils as client_utils
    from gradio.utils import NamedString

    files = gr.File(type="filepath", **options)

    def one_file(data):
        if files.file_types and not client_utils.is_valid_file(data.path, files.file_types):
            raise gr.Error(f"Invalid file type. Please upload a file that is one of these formats: {files.file_types}")
        return NamedString(data.path)

    files._process_single_file = one_file  # see question_box: on the instance
    return files
