# A module beside the entry: a Worker may be more than one file.


def summary(obj):
    """The fields of an R2 object (an R2Object), in Cloudflare's names."""
    return {
        "key": obj.key,
        "size": obj.size,
        "httpEtag": obj.httpEtag,
        "contentType": obj.httpMetadata.get("contentType"),
        "customMetadata": obj.customMetadata,
        "storageClass": obj["storageClass"],
    }
