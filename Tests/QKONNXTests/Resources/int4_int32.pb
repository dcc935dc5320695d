*áƒB
int4_int32