"""One small adapter per AWS service. Adapters own pagination, batching and error translation;
retries with backoff are botocore's (see ``clients.RETRY_CONFIG``)."""
