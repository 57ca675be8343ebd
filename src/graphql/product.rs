//! `Product`: advanced therapy medicinal products.

use entities::product;

use super::connection::connection;
use super::plan::record_type;
use crate::store;

connection!(
    ProductConnection,
    ProductEdge,
    Product,
    product::Model,
    "A page of products.",
    "A product in a page, with its cursor."
);

record_type! {
    /// An advanced therapy medicinal product (ATMP): a gene therapy, somatic cell therapy, tissue-engineered or combined product.
    Product: store::Products {
        id;
        /// Name or description of the product.
        leaf "name" name: &str = |name| name;
        /// ATMP class under Regulation (EC) No 1394/2007.
        leaf "atmpClass" atmp_class: super::AtmpClass = |atmp_class| (*atmp_class).into();
        /// How far the product has come, when known.
        leaf "stage" stage: Option<super::ProductStage> = |stage| stage.map(Into::into);
        /// Year the product was first made or used, when known.
        leaf "firstYear" first_year: Option<i32> = |first_year| *first_year;
        /// What the source says of the product.
        leaf "description" description: Option<&str> = |description| description.as_deref();
        /// The institution whose records hold the product.
        reference "institution" institution: super::Institution = institution_id;
        /// The unit that develops or makes the product.
        reference "developingUnit" developing_unit: Option<super::Unit> = unit_id;
        provenance;
        version;
        visibility;
        /// Clinical trials of this product.
        connection "trials" trials: super::Trial = store::TrialsOfProduct;
    }
}
