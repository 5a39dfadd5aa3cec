# Writes scenarios/traces/larkspur-otlp.json: an OpenTelemetry (OTLP/JSON)
# export of a made-up clinic's five agents (Larkspur Health), for README's
# "Bring your own traces". Seeded, so the output is the same each run:
#   python3 scenarios/traces/make-larkspur-otlp.py > scenarios/traces/larkspur-otlp.json
import json, random
random.seed(7)
def kv(k, v):
    if isinstance(v, int): return {"key": k, "value": {"intValue": str(v)}}
    return {"key": k, "value": {"stringValue": v}}
agents = {
  "intake":    ["lookup_patient", "list_slots"],
  "scheduler": ["list_slots", "book_appointment", "lookup_patient"],
  "reminders": ["list_slots", "send_reminder"],
  "billing":   ["lookup_patient", "issue_refund"],
  "notes":     ["summarize_visit"],
}
users = ["dr.okafor@larkspur.example", "n.ruiz@larkspur.example", "front.desk@larkspur.example"]
patients = ["p-%03d" % i for i in range(1, 31)]
t0 = 1795338000_000000000  # 2026-11-23T09:00:00Z
res = []
i = 0
for agent, tools in agents.items():
    spans = []
    for n in range(14 if agent != "notes" else 6):
        tool = tools[n % len(tools)]
        i += 1
        args = {}
        if tool in ("lookup_patient", "send_reminder", "summarize_visit"):
            args = {"patient_id": random.choice(patients[:12] if agent != "billing" else patients)}
        elif tool == "list_slots":
            args = {"clinic": random.choice(["north", "south"]), "days": random.choice([1, 7])}
        elif tool == "book_appointment":
            args = {"patient_id": random.choice(patients[:12]), "slot": "2026-11-30T10:00"}
        elif tool == "issue_refund":
            args = {"patient_id": random.choice(patients), "amount_cents": random.choice([1500, 2500, 4000])}
        start = t0 + i * 97_000_000_000
        span = {
          "traceId": "%032x" % (0x5ca1ab1e0000 + i), "spanId": "%016x" % (0xbeef00 + i),
          "name": "execute_tool " + tool, "kind": 1,
          "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 40_000_000),
          "attributes": [kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", tool),
                         kv("gen_ai.tool.call.id", "call_%d" % i),
                         kv("gen_ai.tool.call.arguments", json.dumps(args)),
                         kv("enduser.id", random.choice(users))],
          "status": {}
        }
        if agent == "reminders" and n == 5:
            span["status"] = {"code": 2, "message": "sms gateway timeout"}
        spans.append(span)
    res.append({"resource": {"attributes": [kv("service.name", "larkspur-" + agent),
                kv("gen_ai.agent.id", "spiffe://larkspur.example/agents/" + agent)]},
                "scopeSpans": [{"scope": {"name": "larkspur.agents", "version": "0.3.1"}, "spans": spans}]})
print(json.dumps({"resourceSpans": res}, indent=1))
