# The two commands a newcomer needs: `make run` and `make test`. Everything else is for development.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format openapi migrate seed clean bench sdk sdk-check docs-assets

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/workorders migrate
	$(BIN)/workorders seed-demo
	$(BIN)/workorders serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests migrations bench
	$(BIN)/ruff check --fix src tests migrations bench

openapi: $(STAMP)
	$(BIN)/workorders openapi

migrate: $(STAMP)
	$(BIN)/workorders migrate

# The service against bench/reference_app.py on PostgreSQL and SQLite (needs wrk; by hand, never CI).
bench: $(STAMP)
	$(BIN)/python bench/compare.py --backend both

# --- clients generated from the committed document (build/sdk, not committed) ---
SDK := build/sdk
NODE_STAMP := node_modules/.package-lock.json
SWAGGER_UI_VERSION := 5.32.0
REDOC_VERSION := 2.5.2

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

# The Python client (openapi-python-client, pinned in the dev extras) and the TypeScript types
# (openapi-typescript, used with openapi-fetch; both pinned in package-lock.json).
sdk: $(STAMP) $(NODE_STAMP)
	rm -rf $(SDK)
	$(BIN)/openapi-python-client generate --path openapi/openapi.json \
		--config sdk/python-client.yaml --output-path $(SDK)/python --fail-on-warning
	$(BIN)/ruff format --quiet $(SDK)/python
	mkdir -p $(SDK)/typescript
	node_modules/.bin/openapi-typescript openapi/openapi.json -o $(SDK)/typescript/openapi.ts
	cp sdk/typescript-client.ts $(SDK)/typescript/index.ts
	@echo "Python client in $(SDK)/python (pip install $(SDK)/python); TypeScript types in $(SDK)/typescript"

# What the suite checks of the clients, by hand: mypy --strict on the Python package, tsc --noEmit
# on the TypeScript example.
sdk-check: sdk
	cd $(SDK)/python && ../../../$(BIN)/mypy --strict workorders_client
	cp $(SDK)/typescript/openapi.ts examples/typescript/openapi.ts
	cd examples/typescript && ../../node_modules/.bin/tsc -p . --noEmit

# Fetch the pinned Swagger UI and Redoc builds again and copy them, with their licences, into the
# package (see src/workorders/api/static/README.md).
docs-assets:
	rm -rf build/docs-assets && mkdir -p build/docs-assets
	cd build/docs-assets && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) redoc@$(REDOC_VERSION) \
		&& tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz && mv package swagger \
		&& tar xzf redoc-$(REDOC_VERSION).tgz && mv package redoc
	cp build/docs-assets/swagger/swagger-ui-bundle.js build/docs-assets/swagger/swagger-ui.css \
		build/docs-assets/swagger/swagger-ui-bundle.js.LICENSE.txt src/workorders/api/static/
	cp build/docs-assets/swagger/LICENSE src/workorders/api/static/swagger-ui.LICENSE
	cp build/docs-assets/swagger/NOTICE src/workorders/api/static/swagger-ui.NOTICE
	cp build/docs-assets/redoc/bundles/redoc.standalone.js \
		build/docs-assets/redoc/bundles/redoc.standalone.js.LICENSE.txt src/workorders/api/static/
	cp build/docs-assets/redoc/LICENSE src/workorders/api/static/redoc.LICENSE
	sed -i '/^\/\/# sourceMappingURL=/d' src/workorders/api/static/*.js
	sed -i '/^\/\*# sourceMappingURL=.*\*\/$$/d' src/workorders/api/static/*.css

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis build node_modules
