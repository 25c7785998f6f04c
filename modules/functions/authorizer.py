def handler(event, context):  # placeholder
    raise Exception("Unauthorized")
