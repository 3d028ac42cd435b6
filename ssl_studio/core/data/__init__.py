"""Discovery, readers, the on-disk cache and the import of DICOM, images and time series."""
