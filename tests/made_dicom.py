"""A DICOM dataset ready for pixel tags, for tests that write their own files."""

from __future__ import annotations

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid


def dicom_dataset(
    sop: str, modality: str, patient_id: str = "PID7741", patient_name: str | None = None
) -> Dataset:
    """A dataset of SOP class ``sop`` with its file meta (explicit VR little endian), fresh
    instance, study and series UIDs, ``modality`` and the patient's ID (and name)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientID = modality, patient_id
    if patient_name is not None:
        ds.PatientName = patient_name
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    return ds
