"""The OpenAPI description shared by every channel that publishes a JSON route: the spectree
instance routes register with, the error body they answer with, and the `documented` decorator.
The API channel finishes and serves the document (lookup/api/openapi_document.py); a channel
describes its routes here without importing another channel."""
