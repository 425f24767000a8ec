def tenant(request):
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": getattr(request, "membership", None),
        "contact": getattr(request, "contact", None),
    }
