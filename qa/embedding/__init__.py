"""Running the sentence-embedding model: the shipped weights found and checked
(:mod:`.model_files`, :mod:`.model_packages`), exported once to ONNX and run by ONNX Runtime
or torch (:mod:`.onnx_export`, :mod:`.onnx_runtime`, :mod:`.torch_runtime`), and the
embedder that turns texts into unit vectors (:mod:`.embedder`).

Imports only the bottom layer; :mod:`qa.store` embeds passages with it, :mod:`qa.answer`
embeds questions.
"""
