//! iam-emulator: a local IBM Cloud IAM.
