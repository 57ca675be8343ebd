//! What a request costs, charged before it runs. async-graphql measures a query's complexity
//! while it validates it (the number `max-complexity` bounds: each field counts one, each
//! connection its children once per row it may return); this extension hands that same number
//! to the request's [`Meter`], once validation has passed and before any field resolves, so a
//! refused request runs no statement. A request with no meter in its data is not charged.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use super::ApiError;

/// What a request's cost is charged to: the HTTP layer's rate limiter, for one caller.
pub trait Meter: Send + Sync {
    /// Charges `cost`, or refuses the request with the error to answer.
    fn charge(&self, cost: u64) -> Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + '_>>;
}

/// The meter a request is charged to, in its data.
#[derive(Clone)]
pub struct RequestMeter(pub Arc<dyn Meter>);

/// Installs [`ChargeCost`] on every request.
pub(crate) struct ChargeCostFactory;

impl ExtensionFactory for ChargeCostFactory {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ChargeCost)
    }
}

/// Charges a validated request's complexity to its meter.
struct ChargeCost;

#[async_trait::async_trait]
impl Extension for ChargeCost {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let validated = next.run(ctx).await?;
        if let Some(RequestMeter(meter)) = ctx.data_opt::<RequestMeter>() {
            let cost = u64::try_from(validated.complexity).unwrap_or(u64::MAX);
            meter
                .charge(cost)
                .await
                .map_err(|error| vec![error.into_server_error(None)])?;
        }
        Ok(validated)
    }
}
