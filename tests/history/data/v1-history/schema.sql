CREATE TABLE findings(run_id VARCHAR NOT NULL, idx INTEGER NOT NULL, subject_key VARCHAR NOT NULL, "policy" VARCHAR NOT NULL, verdict VARCHAR NOT NULL, rule_ids VARCHAR, severity VARCHAR, entity_id VARCHAR, entity_name VARCHAR, entity_country VARCHAR, site VARCHAR, "label" VARCHAR, source_file VARCHAR, source_line INTEGER, identifier VARCHAR);
CREATE TABLE meta("key" VARCHAR PRIMARY KEY, "value" VARCHAR);
CREATE TABLE runs(run_id VARCHAR PRIMARY KEY, seq BIGINT NOT NULL UNIQUE, recorded_at TIMESTAMP NOT NULL, generated_at VARCHAR, evaluated_on VARCHAR, netvet_version VARCHAR, registry_version VARCHAR, command VARCHAR, sample_data BOOLEAN, observations INTEGER, findings INTEGER, fail INTEGER, review INTEGER, "unknown" INTEGER, pass INTEGER, waived INTEGER, report_sha256 VARCHAR, report VARCHAR);
CREATE TABLE run_datasets(run_id VARCHAR NOT NULL, "name" VARCHAR NOT NULL, "version" VARCHAR, detail VARCHAR);
CREATE TABLE run_inputs(run_id VARCHAR NOT NULL, "position" INTEGER NOT NULL, "name" VARCHAR, path VARCHAR, size BIGINT, sha256 VARCHAR, format VARCHAR, records INTEGER, malformed INTEGER);
CREATE TABLE run_policies(run_id VARCHAR NOT NULL, policy_id VARCHAR NOT NULL, "version" VARCHAR, title VARCHAR, approach VARCHAR);

