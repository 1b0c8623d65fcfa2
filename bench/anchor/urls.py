from django.urls import path
from rest_framework import generics, serializers

from bench.anchor.models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value", "created_at"]


class ItemListApi(generics.ListAPIView):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer


urlpatterns = [path("items/", ItemListApi.as_view())]
