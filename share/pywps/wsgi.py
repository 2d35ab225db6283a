"""The demo PyWPS service that svd runs under gunicorn.

Two processes: `say_hello` (the classic) and `statistics`, which computes the
count, mean, minimum, maximum and standard deviation of a list of numbers.
The configuration file comes from $PYWPS_CFG, which svd sets, so that PyWPS
reads it both at import time (logging prefix) and for the service.
"""

import math
import os

from pywps import ComplexOutput, Format, LiteralInput, LiteralOutput, Process, Service


class SayHello(Process):
    def __init__(self):
        super().__init__(
            self._handler,
            identifier="say_hello",
            title="Say Hello",
            abstract="Answers with a greeting for the given name.",
            version="1.0",
            inputs=[LiteralInput("name", "Name to greet", data_type="string")],
            outputs=[LiteralOutput("response", "The greeting", data_type="string")],
            store_supported=True,
            status_supported=True,
        )

    @staticmethod
    def _handler(request, response):
        response.outputs["response"].data = "Hello " + request.inputs["name"][0].data
        response.update_status("done", 100)
        return response


def summarise(numbers):
    """count, mean, min, max and population standard deviation of numbers."""
    count = len(numbers)
    mean = sum(numbers) / count
    spread = math.sqrt(sum((x - mean) ** 2 for x in numbers) / count)
    return {"count": count, "mean": mean, "min": min(numbers), "max": max(numbers), "stddev": spread}


class Statistics(Process):
    def __init__(self):
        super().__init__(
            self._handler,
            identifier="statistics",
            title="Statistics of a list of numbers",
            abstract="Count, mean, minimum, maximum and standard deviation of comma-separated numbers.",
            version="1.0",
            inputs=[LiteralInput("numbers", "Comma-separated numbers, e.g. 1,2,3.5", data_type="string")],
            outputs=[
                LiteralOutput("mean", "Arithmetic mean", data_type="float"),
                LiteralOutput("summary", "count mean min max stddev", data_type="string"),
                ComplexOutput("report", "The summary as JSON", supported_formats=[Format("application/json")]),
            ],
            store_supported=True,
            status_supported=True,
        )

    @staticmethod
    def _handler(request, response):
        text = request.inputs["numbers"][0].data
        try:
            numbers = [float(part) for part in text.split(",") if part.strip()]
        except ValueError as error:
            raise ValueError(f"numbers must be comma-separated numbers: {error}")
        if not numbers:
            raise ValueError("numbers must hold at least one number")
        summary = summarise(numbers)
        response.outputs["mean"].data = summary["mean"]
        response.outputs["summary"].data = " ".join(f"{k}={v:g}" for k, v in summary.items())
        import json

        response.outputs["report"].data = json.dumps(summary)
        response.update_status("done", 100)
        return response


application = Service([SayHello(), Statistics()], [os.environ.get("PYWPS_CFG", os.path.expanduser("~/etc/pywps.cfg"))])
