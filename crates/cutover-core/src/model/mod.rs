/*!
What Nova keeps in its own database and cutover copies or moves, as plain
values: parsed from the wire by the cloud client, compared and decided on
here.
*/

pub mod flavor;

pub use flavor::Flavor;
