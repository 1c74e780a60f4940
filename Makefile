# Shortcuts for the scripts the README documents.
STACK ?= dev

.PHONY: preview test benchmark

preview:
	scripts/preview.sh $(STACK)

test:
	scripts/test.sh

benchmark:
	scripts/bootstrap-python.sh >/dev/null
	scripts/install-debian-tools.sh
	scripts/install-crd-schemas.sh
	.venv/bin/python -m benchmarks
