COPY findings FROM 'v1-history/findings.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('run_id', 'idx', 'subject_key', 'policy', 'verdict'), quote '"', delimiter ',', header 1);
COPY meta FROM 'v1-history/meta.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null 'key', quote '"', delimiter ',', header 1);
COPY runs FROM 'v1-history/runs.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('seq', 'recorded_at', 'run_id'), quote '"', delimiter ',', header 1);
COPY run_datasets FROM 'v1-history/run_datasets.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('run_id', 'name'), quote '"', delimiter ',', header 1);
COPY run_inputs FROM 'v1-history/run_inputs.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('run_id', 'position'), quote '"', delimiter ',', header 1);
COPY run_policies FROM 'v1-history/run_policies.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('run_id', 'policy_id'), quote '"', delimiter ',', header 1);
