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
echo "== restore: Azure Functions app"
if dotnet restore src/FuncIngest.Functions/FuncIngest.Functions.csproj >artifacts/functions-restore.log 2>&1; then
  echo "   Functions packages restored: the app is built with the rest."
else
  missing=$(grep -oE 'Unable to find package [^ ]+' artifacts/functions-restore.log | sort -u | sed 's/Unable to find package //; s/\.$//' | paste -sd, - || true)
  echo "SKIPPED src/FuncIngest.Functions: its packages cannot be restored from this machine's NuGet sources (missing: ${missing:-see artifacts/functions-restore.log}); building and testing everything else."
  solution=artifacts/FuncIngest.NoFunctions.slnf
  {
    echo '{ "solution": { "path": "../FuncIngest.sln", "projects": ['
    dotnet sln FuncIngest.sln list | grep -E '\.csproj$' | grep -v 'FuncIngest.Functions' | sed 's|/|\\\\|g; s|.*|      "&"|' | paste -sd, -
    echo '] } }'
  } >"$solution"
fi

echo "== build ($configuration)"
dotnet build "$solution" -c "$configuration" -warnaserror --nologo -v minimal

echo "== test"
dotnet test "$solution" -c "$configuration" --no-build --nologo \
  --logger "console;verbosity=normal" --results-directory artifacts/test-results "$@"
