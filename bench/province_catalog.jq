# A province catalogue from the sample one (config/catalog.json): the nine items of each of its
# four counties made again for every county of $counties (an array of division codes) in turn,
# each item's code ending in its county's; the province's and the city's items kept. For
# bench/province.sh and tests/integration/province_tree_of_thirty.sh:
#   jq -c --argjson counties '["510104", "513301"]' -f bench/province_catalog.jq config/catalog.json
(.items | map(select(.node | test("^5101(04|05)$|^5103(02|03)$"))) | group_by(.node)) as $t
| .items = [(.items[] | select(.node == "510000" or .node == "510100")),
            ($counties | to_entries[] | .key as $i | .value as $n
             | $t[$i % ($t | length)][] | .node = $n | .item |= sub("-[0-9]{6}$"; "-" + $n))]
