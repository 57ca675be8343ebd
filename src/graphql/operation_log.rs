//! Names the GraphQL operation in the request's log line: once async-graphql has chosen the
//! operation to run (the one `operationName` names, or the document's only one), its name is
//! recorded in the current span's `operation` field, which the HTTP layer's request span
//! declares. Outside such a span, recording does nothing.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::Response;

/// The extension's factory, registered on the schema.
pub(crate) struct OperationLog;

impl ExtensionFactory for OperationLog {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationLogExtension)
    }
}

struct OperationLogExtension;

#[async_trait::async_trait]
impl Extension for OperationLogExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(name) = operation_name {
            tracing::Span::current().record("operation", tracing::field::display(name));
        }
        next.run(ctx, operation_name).await
    }
}
