#!/usr/bin/env bash
# The one test command (README.md, "Running the tests"). On a fresh machine of the CI kind it
# installs what the tests need (Azurite from npm, NuGet packages through restore), builds
# every project it can, and runs every test. Benchmarks are not run here (see bench/).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p artifacts

configuration="${CONFIGURATION:-Release}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== test tools: npm ci (Azurite, pinned in tests/tools/package-lock.json)"
npm ci --prefix tests/tools --no-audit --no-fund --loglevel=error

solution=FuncIngest.sln
build_properties=()
# The Functions app and its tests (FuncIngest.Functions.Tests) are built with the real Worker
# SDK wherever their packages restore. Where only the Kafka worker extension is missing, both
# are built without the Kafka trigger (FuncIngestWithoutKafka: no Kafka package, no Ingest/
# files, no stand-in types); where more is missing, both are left out. Either way one line says
# so and names the packages restore could not find (NU1101 no such package, NU1102 no such
# version, NU1603 a newer version than asked for, an error under warnings-as-errors).
functions_tests=tests/FuncIngest.Functions.Tests/FuncIngest.Functions.Tests.csproj
missing_packages() {
  grep -oE 'NU1101: Unable to find package [^ ]+|NU1102: Unable to find package [^ ]+ with version \([^)]*\)|NU1603: (Warning As Error: )?[^ ]+ [^ ]+ depends on [^ ]+ \([^)]*\)' "$1" \
    | sed -E 's/^NU1101: Unable to find package ([^ ]+)$/\1/; s/^NU1102: Unable to find package ([^ ]+) with version \((.*)\)$/\1 \2/; s/^NU1603: .* depends on ([^ ]+) \((.*)\)$/\1 \2/; s/\.$//' \
    | sort -u | paste -sd, - | sed 's/,/, /g'
}
echo "== restore: Azure Functions app and its tests"
if dotnet restore "$functions_tests" >artifacts/functions-restore.log 2>&1; then
  echo "   Functions packages restored: the app, with its Kafka trigger, is built and tested with the rest."
else
  missing=$(missing_packages artifacts/functions-restore.log)
  if dotnet restore "$functions_tests" -p:FuncIngestWithoutKafka=true >artifacts/functions-restore-without-kafka.log 2>&1; then
    echo "BUILT WITHOUT KAFKA TRIGGER: src/FuncIngest.Functions is built and tested without its Kafka trigger (Ingest/ and the Kafka extension left out) because this machine's NuGet sources lack: ${missing:-see artifacts/functions-restore.log}."
    build_properties+=(-p:FuncIngestWithoutKafka=true)
  else
    missing=$(missing_packages artifacts/functions-restore-without-kafka.log)
    echo "SKIPPED src/FuncIngest.Functions and its tests: their packages cannot be restored from this machine's NuGet sources even without the Kafka trigger (missing: ${missing:-see artifacts/functions-restore-without-kafka.log}); building and testing everything else."
    solution=artifacts/FuncIngest.NoFunctions.slnf
    {
      echo '{ "solution": { "path": "../FuncIngest.sln", "projects": ['
      dotnet sln FuncIngest.sln list | grep -E '\.csproj$' | grep -v 'FuncIngest.Functions' | sed 's|/|\\\\|g; s|.*|      "&"|' | paste -sd, -
      echo '] } }'
    } >"$solution"
  fi
fi

echo "== build ($configuration)"
# -warnnotaserror:NU1603 reaches only the SDK-generated WorkerExtensions project (the host-side
# extension bundle, whose package versions the Worker SDK fixes and which imports none of this
# repository's props): on a partial NuGet source it takes newer versions than it asks for. Every
# project of this repository still fails on NU1603, through TreatWarningsAsErrors.
dotnet build "$solution" -c "$configuration" -warnaserror -warnnotaserror:NU1603 --nologo -v minimal "${build_properties[@]}"

echo "== test"
dotnet test "$solution" -c "$configuration" --no-build --nologo "${build_properties[@]}" \
  --logger "console;verbosity=normal" --results-directory artifacts/test-results "$@"
