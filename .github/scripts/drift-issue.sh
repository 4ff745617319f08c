#!/usr/bin/env bash
# One issue per drifted cell, kept by the scheduled drift check (.github/workflows/drift.yml).
# Drifted: the refresh-preview found changes (PREVIEW_OUTCOME is not success) or `tenancy status`
# found an unhealthy tenant (STATUS_EXIT is not 0). A drifted cell's open issue titled
# "Drift in cell <cell>" gets a comment with this run's findings, or is opened when there is none;
# a cell back in order has its open issue commented and closed. Exits 1 while the cell drifts, so
# the run shows red. Needs `gh` (GH_TOKEN) and jq; reads:
#   CELL, PREVIEW_OUTCOME, STATUS_EXIT, STATUS_FILE (tenancy status --format markdown),
#   PREVIEW_FILE (the preview's output, optional), RUN_URL.
set -euo pipefail

: "${CELL:?CELL is required}" "${PREVIEW_OUTCOME:?PREVIEW_OUTCOME is required}" "${STATUS_EXIT:?STATUS_EXIT is required}" "${RUN_URL:?RUN_URL is required}"
title="Drift in cell ${CELL}"
label="drift"

# The open issue of this cell: exact title match (gh's search is fuzzy).
number="$(gh issue list --state open --label "$label" --search "\"$title\" in:title" --json number,title --limit 100 |
  jq -r --arg title "$title" '[.[] | select(.title == $title)][0].number // empty')"

drifted=false
if [ "$PREVIEW_OUTCOME" != "success" ] || [ "$STATUS_EXIT" != "0" ]; then drifted=true; fi

if [ "$drifted" = false ]; then
  if [ -n "$number" ]; then
    gh issue comment "$number" --body "No drift in cell \`${CELL}\` any more ([run](${RUN_URL})): closing."
    gh issue close "$number"
  fi
  echo "cell ${CELL}: no drift"
  exit 0
fi

body="$(mktemp)"
trap 'rm -f "$body"' EXIT
{
  echo "Drift check of cell \`${CELL}\` ([run](${RUN_URL})):"
  echo
  if [ "$PREVIEW_OUTCOME" != "success" ]; then
    echo "- \`pulumi preview --refresh --expect-no-changes\`: **${PREVIEW_OUTCOME}** (the live resources differ from the stack, or the preview failed)"
  else
    echo "- \`pulumi preview --refresh --expect-no-changes\`: no changes"
  fi
  if [ "$STATUS_EXIT" = "1" ]; then
    echo "- \`tenancy status\`: **unhealthy tenant(s)**"
  elif [ "$STATUS_EXIT" != "0" ]; then
    echo "- \`tenancy status\`: **could not run** (exit ${STATUS_EXIT})"
  else
    echo "- \`tenancy status\`: every tenant healthy"
  fi
  if [ -s "${STATUS_FILE:-}" ]; then
    echo
    echo "### tenancy status"
    echo
    # An issue body holds 65536 characters: the report is cut well below, on a line boundary.
    awk '{ n += length($0) + 1; if (n > 30000) { print "(cut)"; exit } print }' "$STATUS_FILE"
  fi
  if [ -s "${PREVIEW_FILE:-}" ]; then
    echo
    echo "### pulumi preview (end)"
    echo
    echo '```'
    # The end says what changed; a cut first line is dropped.
    if [ "$(wc -c < "$PREVIEW_FILE")" -gt 20000 ]; then tail -c 20000 "$PREVIEW_FILE" | tail -n +2; else cat "$PREVIEW_FILE"; fi
    echo '```'
  fi
} > "$body"

if [ -n "$number" ]; then
  gh issue comment "$number" --body-file "$body"
  echo "cell ${CELL}: drift, issue #${number} updated"
else
  # The label may not exist yet in this repository; --force leaves an existing one as it is configured.
  gh label create "$label" --color D93F0B --description "Live resources differ from their stack" --force > /dev/null
  gh issue create --title "$title" --label "$label" --body-file "$body"
  echo "cell ${CELL}: drift, issue opened"
fi
exit 1
