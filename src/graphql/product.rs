//! `Product`: advanced therapy medicinal products.

use std::sync::Arc;

use async_graphql::{Context, ID};
use entities::product;

use super::connection::connection;
use super::node::{global_id, NodeType};
use super::plan::record_object;
use super::{record, required, ApiError, Provenance};
use crate::store;

/// An advanced therapy medicinal product (ATMP): a gene therapy, somatic cell therapy, tissue-engineered or combined product.
pub struct Product(pub(crate) Arc<product::Model>);

connection!(
    ProductConnection,
    ProductEdge,
    Product,
    product::Model,
    "A page of products.",
    "A product in a page, with its cursor."
);

record_object! {
    Product: store::Products {
        leaves {
            "visibility" => visibility,
            "name" => name,
            "atmpClass" => atmp_class,
            "stage" => stage,
            "firstYear" => first_year,
            "description" => description,
        }
        to_one {
            "institution" => super::Institution, institution_id, true;
            "developingUnit" => super::Unit, unit_id, false;
        }
        connections {
            /// Clinical trials of this product.
            "trials" trials => store::TrialsOfProduct, super::Trial;
        }
    }
    /// An advanced therapy medicinal product (ATMP): a gene therapy, somatic cell therapy, tissue-engineered or combined product.
    impl {
        /// Opaque global ID, stable across restarts and databases.
        pub async fn id(&self) -> ID {
            global_id(NodeType::Product, self.0.id)
        }

        /// Name or description of the product.
        async fn name(&self) -> &str {
            &self.0.name
        }

        /// ATMP class under Regulation (EC) No 1394/2007.
        async fn atmp_class(&self) -> super::AtmpClass {
            self.0.atmp_class.into()
        }

        /// How far the product has come, when known.
        async fn stage(&self) -> Option<super::ProductStage> {
            self.0.stage.map(Into::into)
        }

        /// Year the product was first made or used, when known.
        async fn first_year(&self) -> Option<i32> {
            self.0.first_year
        }

        /// What the source says of the product.
        async fn description(&self) -> Option<&str> {
            self.0.description.as_deref()
        }

        /// The institution whose records hold the product.
        async fn institution(&self, ctx: &Context<'_>) -> Result<super::Institution, ApiError> {
            required(ctx, store::InstitutionId(self.0.institution_id))
                .await
                .map(super::Institution)
        }

        /// The unit that develops or makes the product.
        async fn developing_unit(&self, ctx: &Context<'_>) -> Result<Option<super::Unit>, ApiError> {
            let Some(id) = self.0.unit_id else {
                return Ok(None);
            };
            Ok(record(ctx, store::UnitId(id)).await?.map(super::Unit))
        }

        /// Where this record's facts come from.
        async fn provenance(&self) -> Provenance {
            Provenance::of(self.0.provenance, &self.0.sample_fields)
        }

        /// Who its institution shows it to: `PUBLIC` (everyone), `PARTNER` (its partners and staff) or `INTERNAL` (its staff). The record's own marking: a caller reads a record only where it reads the records it references too.
        async fn visibility(&self) -> super::Visibility {
            self.0.visibility.into()
        }
    }
}
