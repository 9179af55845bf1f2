"""Evidence: students' files in the S3 store, verified on complete, locked once certified, never lost."""
