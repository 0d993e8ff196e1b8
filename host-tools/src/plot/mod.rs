//! PNG pictures: piano rolls, line plots and histograms, drawn without a font library.
