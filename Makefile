# Shortcuts for the scripts the README documents.
STACK ?= dev

.PHONY: preview test benchmark acceptance

preview:
	scripts/preview.sh $(STACK)

test:
	scripts/test.sh

acceptance:
	scripts/acceptance.sh $(STACK)

benchmark:
	scripts/bootstrap-python.sh >/dev/null
	scripts/install-debian-tools.sh
	scripts/install-crd-schemas.sh
	.venv/bin/python -m benchmarks
