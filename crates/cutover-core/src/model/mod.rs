/*!
What Nova keeps in its own database and cutover copies or moves, as plain
values: parsed from the wire by the cloud client, compared and decided on
here.
*/

pub mod aggregate;
pub mod flavor;
pub mod project;
pub mod quota;

pub use aggregate::Aggregate;
pub use flavor::Flavor;
pub use project::Project;
pub use quota::QuotaSet;
